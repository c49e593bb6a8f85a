/**
 * The Apps Script receiver of docs/sheets/ parses, and its doPost (run with fakes of Google's
 * services: test/helpers/apps-script-receiver.ts) appends one row per id, refuses posts without
 * the token and answers JSON the hub reads.
 */
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { dataRows, loadReceiver, RECEIVER_SCRIPT, type PostEvent } from '../helpers/apps-script-receiver.js';

const TOKEN = 'tok-3f9a';

function post(body: unknown, token = TOKEN): PostEvent {
  const contents = typeof body === 'string' ? body : JSON.stringify(body);
  return { parameter: { token }, postData: { contents, type: 'application/json', length: contents.length } };
}

const score = {
  id: 'factory/bench-1/7',
  site: 'factory',
  node: 'bench-1',
  name: '組立台',
  ts: '2025-11-24T17:00:00+09:00',
  epochMs: 1_763_971_200_000,
  seq: 7,
  score: 23.4,
  coveredRatio: 0.234,
  slot: '17:00',
  imageId: 'img-7',
  imageUrl: 'http://hub.local:8080/api/nodes/factory/bench-1/images/img-7',
  text: '組立台 の散乱度 23.4（17:00）',
};

describe('docs/sheets/mieruka-receiver.gs', () => {
  it('is JavaScript that defines doPost and doGet', () => {
    const script = new vm.Script(readFileSync(RECEIVER_SCRIPT, 'utf8'), { filename: 'mieruka-receiver.gs' });
    const context = vm.createContext({});
    script.runInContext(context); // defining functions calls no Google service
    expect(typeof context.doPost).toBe('function');
    expect(typeof context.doGet).toBe('function');
  });

  it('appends one row per score id and answers duplicate for a repeat', () => {
    const receiver = loadReceiver({ TOKEN });
    expect(receiver.doPost(post(score))).toEqual({ ok: true, duplicate: false });
    expect(receiver.doPost(post(score))).toEqual({ ok: true, duplicate: true });
    expect(receiver.doPost(post({ ...score, id: 'factory/bench-1/8', seq: 8, ts: '2025-11-25T09:00:00+09:00', slot: '09:00', score: 5, coveredRatio: 0.05, name: null, imageUrl: null }))).toEqual({ ok: true, duplicate: false });

    const sheet = receiver.sheets.get('Scores');
    expect(sheet?.rows[0]).toEqual(['date', 'time', 'slot', 'bench', 'score', 'covered ratio', 'site', 'node', 'seq', 'id', 'image']);
    expect(sheet?.frozenRows).toBe(1);
    expect(sheet?.textColumns).toEqual([10]); // the id column
    expect(dataRows(receiver, 'Scores')).toEqual([
      ['2025-11-24', '17:00', '17:00', '組立台', 23.4, 0.234, 'factory', 'bench-1', 7, 'factory/bench-1/7', score.imageUrl],
      ['2025-11-25', '09:00', '09:00', 'bench-1', 5, 0.05, 'factory', 'bench-1', 8, 'factory/bench-1/8', ''],
    ]);
    expect(receiver.lock.held).toBe(false);
  });

  it('keys a score without an id on site/node/seq', () => {
    const receiver = loadReceiver({ TOKEN });
    const { id: _id, ...withoutId } = score;
    expect(receiver.doPost(post(withoutId))).toEqual({ ok: true, duplicate: false });
    expect(receiver.doPost(post(score))).toEqual({ ok: true, duplicate: true });
    expect(dataRows(receiver, 'Scores')).toHaveLength(1);
  });

  it('appends daily utilization to its own tab, one row per date and machine', () => {
    const receiver = loadReceiver({ TOKEN });
    const day = { type: 'utilization', id: '2025-11-24/factory/mill-1', date: '2025-11-24', site: 'factory', node: 'mill-1', name: 'ProtoMat S63', utilizationPct: 37.5, runningS: 32_400, idleS: 7200, offS: 46_800, unknownS: 0 };
    expect(receiver.doPost(post(day))).toEqual({ ok: true, duplicate: false });
    expect(receiver.doPost(post(day))).toEqual({ ok: true, duplicate: true });
    expect(dataRows(receiver, 'Utilization')).toEqual([['2025-11-24', 'ProtoMat S63', 37.5, 9, 2, 13, 0, 'factory', 'mill-1', '2025-11-24/factory/mill-1']]);
    expect(receiver.sheets.has('Scores')).toBe(false);
  });

  it('refuses posts without the token, bad bodies, and a formula in a name stays text', () => {
    expect(loadReceiver({}).doPost(post(score))).toEqual({ ok: false, error: 'the script property TOKEN is not set' });
    const receiver = loadReceiver({ TOKEN });
    expect(receiver.doPost(post(score, 'guess'))).toEqual({ ok: false, error: 'wrong or missing token' });
    expect(receiver.doPost({ parameter: {}, postData: { contents: '{}', type: 'application/json', length: 2 } })).toMatchObject({ ok: false });
    expect(receiver.doPost(post('{not json'))).toEqual({ ok: false, error: 'the body is not JSON' });
    expect(receiver.doPost(post({ site: 'factory' }))).toEqual({ ok: false, error: 'fields missing for a Scores row' });
    expect(receiver.sheets.size).toBe(0);

    expect(receiver.doPost(post({ ...score, name: '=IMPORTXML("http://x","//a")' }))).toEqual({ ok: true, duplicate: false });
    expect(dataRows(receiver, 'Scores')[0]?.[3]).toBe('\'=IMPORTXML("http://x","//a")');
  });

  it('asks the hub to retry while another post holds the lock', () => {
    const receiver = loadReceiver({ TOKEN });
    receiver.lock.held = true;
    expect(receiver.doPost(post(score))).toEqual({ ok: false, error: 'busy', retry: true });
    receiver.lock.held = false;
    expect(receiver.doPost(post(score))).toEqual({ ok: true, duplicate: false });
  });

  it('answers a browser GET without telling anything', () => {
    expect(loadReceiver({ TOKEN }).doGet()).toEqual({ ok: true, receiver: 'mieruka' });
  });
});
