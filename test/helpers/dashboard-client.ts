/** A logged-in client of the dashboard's REST API and live feed, over real HTTP and ws. */
import WebSocket from 'ws';

/** A session: its cookie (`name=value`) and the CSRF token state-changing requests send as X-CSRF-Token. */
export type DashboardSession = { cookie: string; csrfToken: string };

export async function loginSession(httpUrl: string, username: string, password: string): Promise<DashboardSession> {
  const res = await fetch(new URL('/api/login', httpUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login failed: HTTP ${res.status} ${await res.text()}`);
  const cookie = res.headers.get('set-cookie');
  if (!cookie) throw new Error('login set no cookie');
  const { csrfToken } = (await res.json()) as { csrfToken?: unknown };
  if (typeof csrfToken !== 'string') throw new Error('login answered no csrfToken');
  return { cookie: cookie.split(';')[0] as string, csrfToken };
}

/** Logs in; the session cookie is enough for reads and the live feed. */
export async function login(httpUrl: string, username: string, password: string): Promise<string> {
  return (await loginSession(httpUrl, username, password)).cookie;
}

/** Headers for a POST/PUT/PATCH/DELETE of this session with a JSON body. */
export function writeHeaders(session: DashboardSession): Record<string, string> {
  return { cookie: session.cookie, 'x-csrf-token': session.csrfToken, 'content-type': 'application/json' };
}

export type LiveClient = { messages: Array<Record<string, unknown>>; close(): Promise<void> };

export async function openLiveFeed(httpUrl: string, cookie: string): Promise<LiveClient> {
  const url = new URL('/api/live', httpUrl);
  url.protocol = url.protocol.replace('http', 'ws');
  const ws = new WebSocket(url, { headers: { cookie } });
  const messages: Array<Record<string, unknown>> = [];
  ws.on('message', (data) => {
    // A batch frame carries the updates of one hub event-loop turn: unpacked here, in order.
    const frame = JSON.parse(String(data)) as Record<string, unknown>;
    if (frame.type === 'batch' && Array.isArray(frame.messages)) messages.push(...(frame.messages as Array<Record<string, unknown>>));
    else messages.push(frame);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`ws refused: HTTP ${res.statusCode}`)));
  });
  return {
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
      }),
  };
}
