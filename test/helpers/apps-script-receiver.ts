/**
 * docs/sheets/mieruka-receiver.gs run in a node:vm context with small fakes of the Apps Script
 * services it calls (SpreadsheetApp, LockService, PropertiesService, ContentService). Google's
 * runtime is outside what we can run here; this checks our script's logic (rows, ids,
 * duplicates, token), not Google. `appsScriptPeer` puts it behind a real HTTP server on
 * loopback that answers like a deployed web app: POST /exec runs doPost, then 302 to an
 * /echo URL whose GET returns the result.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import vm from 'node:vm';

export const RECEIVER_SCRIPT = new URL('../../docs/sheets/mieruka-receiver.gs', import.meta.url);

export type FakeSheet = { name: string; rows: unknown[][]; frozenRows: number; textColumns: number[] };

export type PostEvent = { parameter: Record<string, string>; postData: { contents: string; type: string; length: number } };

export type Receiver = {
  doPost(event: PostEvent): { ok: boolean; duplicate?: boolean; error?: string; retry?: boolean };
  doGet(): unknown;
  sheets: Map<string, FakeSheet>;
  /** Holds the script lock as another execution would. */
  lock: { held: boolean };
};

/** The sheet's data rows (the header row left out). */
export function dataRows(receiver: Receiver, tab: string): unknown[][] {
  return receiver.sheets.get(tab)?.rows.slice(1) ?? [];
}

function fakeSheet(name: string): FakeSheet & Record<string, unknown> {
  const sheet: FakeSheet & Record<string, unknown> = {
    name,
    rows: [],
    frozenRows: 0,
    textColumns: [],
    getLastRow: () => sheet.rows.length,
    getMaxRows: () => Math.max(1000, sheet.rows.length),
    appendRow: (values: unknown[]) => void sheet.rows.push([...values]),
    setFrozenRows: (n: number) => void (sheet.frozenRows = n),
    getRange: (row: number, column: number, numRows = 1, numColumns = 1) => ({
      getValues: () => sheet.rows.slice(row - 1, row - 1 + numRows).map((r) => Array.from({ length: numColumns }, (_, i) => r[column - 1 + i] ?? '')),
      setNumberFormat: (format: string) => {
        if (format === '@' && numColumns === 1) sheet.textColumns.push(column);
      },
    }),
  };
  return sheet;
}

export function loadReceiver(properties: Record<string, string> = {}): Receiver {
  const sheets = new Map<string, FakeSheet & Record<string, unknown>>();
  const lock = { held: false };
  const spreadsheet = {
    getSheetByName: (name: string) => sheets.get(name) ?? null,
    insertSheet: (name: string) => {
      const sheet = fakeSheet(name);
      sheets.set(name, sheet);
      return sheet;
    },
  };
  const context = vm.createContext({
    SpreadsheetApp: { getActiveSpreadsheet: () => spreadsheet, flush: () => undefined },
    LockService: {
      getScriptLock: () => ({
        tryLock: () => (lock.held ? false : (lock.held = true)),
        releaseLock: () => void (lock.held = false),
      }),
    },
    PropertiesService: { getScriptProperties: () => ({ getProperty: (key: string) => properties[key] ?? null }) },
    ContentService: {
      MimeType: { JSON: 'application/json' },
      createTextOutput: (content: string) => {
        const output = { content, mimeType: 'text/plain', setMimeType: (type: string) => ((output.mimeType = type), output) };
        return output;
      },
    },
  });
  new vm.Script(readFileSync(RECEIVER_SCRIPT, 'utf8'), { filename: 'mieruka-receiver.gs' }).runInContext(context);
  const call = (name: string, ...args: unknown[]) => {
    const output = (context[name] as (...a: unknown[]) => { content: string; mimeType: string })(...args);
    if (output.mimeType !== 'application/json') throw new Error(`${name} answered ${output.mimeType}, not JSON`);
    return JSON.parse(output.content) as never;
  };
  return {
    doPost: (event) => call('doPost', event),
    doGet: () => call('doGet'),
    sheets,
    lock: lock as { held: boolean },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export type PeerRequest = { method: string; path: string };

/**
 * A real HTTP server that answers like a deployed Apps Script web app. `override` may answer a
 * request itself (a failure, a bad redirect) before the normal behaviour; it returns true then.
 */
export async function appsScriptPeer(
  receiver: Receiver,
  override?: (req: PeerRequest, res: ServerResponse, n: number) => boolean,
): Promise<{ url: (token: string) => string; requests: PeerRequest[]; close: () => Promise<void> }> {
  const requests: PeerRequest[] = [];
  const results = new Map<string, string>();
  let nextKey = 0;
  const server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const seen: PeerRequest = { method: req.method ?? '', path: req.url ?? '' };
      requests.push(seen);
      if (override?.(seen, res, requests.length)) return;
      const url = new URL(req.url ?? '/', 'http://peer');
      if (req.method === 'POST' && url.pathname === '/macros/s/DEPLOYMENT/exec') {
        const event: PostEvent = { parameter: Object.fromEntries(url.searchParams), postData: { contents: text, type: String(req.headers['content-type']), length: text.length } };
        const key = `k${(nextKey += 1)}`;
        results.set(key, JSON.stringify(receiver.doPost(event)));
        res.writeHead(302, { location: `/macros/echo?user_content_key=${key}` }).end('<html>Moved Temporarily</html>');
        return;
      }
      if (req.method === 'GET' && url.pathname === '/macros/echo') {
        const result = results.get(url.searchParams.get('user_content_key') ?? '');
        if (result) res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(result);
        else res.writeHead(404).end();
        return;
      }
      res.writeHead(405).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (token) => `http://127.0.0.1:${port}/macros/s/DEPLOYMENT/exec?token=${encodeURIComponent(token)}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
