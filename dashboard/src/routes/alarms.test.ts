/** Alarm API and acknowledge-link pages over real HTTP against the in-memory data source. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlarmItem } from '../data-source.js';
import { loginSession, openLive, startHarness, waitFor, writeHeaders, type Harness, type TestSession } from '../test-support/harness.js';

const T0 = 1_764_000_000_000;

function alarm(id: string, patch: Partial<AlarmItem> = {}): AlarmItem {
  return {
    id,
    site: 'factory',
    node: 'mill-1',
    type: 'machine_stopped',
    severity: 'major',
    message: { ja: 'ミル1が運転中に停止しました', en: 'Mill 1 stopped while running' },
    activeSince: T0,
    active: true,
    acknowledged: false,
    occurrences: 1,
    lastRaisedAt: T0,
    escalated: false,
    ...patch,
  };
}

describe('alarm routes', () => {
  let h: Harness;
  let cookie: string;
  let session: TestSession;

  beforeEach(async () => {
    h = await startHarness();
    h.data.setReportSettings({ timeZone: 'Asia/Tokyo', shifts: [] });
    h.data.putAlarm(alarm('a-1'));
    h.data.putAlarm(alarm('a-2', { node: 'bench-1', type: 'clutter_high', severity: 'minor', activeSince: T0 + 60_000, message: { ja: '散乱度が高い', en: 'Clutter high' } }));
    h.data.putAlarm(alarm('a-3', { active: false, clearedAt: T0 + 5_000, activeSince: T0 - 3_600_000 }));
    session = await loginSession(h.url);
    cookie = session.cookie;
  });
  afterEach(async () => {
    await h.close();
  });

  const get = (path: string, headers: Record<string, string> = { cookie }) => fetch(`${h.url}${path}`, { headers });
  const ids = async (res: Response) => ((await res.json()) as { alarms: AlarmItem[] }).alarms.map((a) => a.id);

  it('needs a session to list or acknowledge', async () => {
    expect((await get('/api/alarms', {})).status).toBe(401);
    const res = await fetch(`${h.url}/api/alarms/a-1/ack`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect((await h.data.listAlarms({ state: 'active', limit: 10 })).find((a) => a.id === 'a-1')?.acknowledged).toBe(false);
  });

  it('lists active alarms by default, the history on request, with filters', async () => {
    expect(await ids(await get('/api/alarms'))).toEqual(['a-2', 'a-1']);
    expect(await ids(await get('/api/alarms?state=history'))).toEqual(['a-2', 'a-1', 'a-3']);
    expect(await ids(await get('/api/alarms?state=history&node=mill-1'))).toEqual(['a-1', 'a-3']);
    expect(await ids(await get('/api/alarms?severity=minor,critical'))).toEqual(['a-2']);
    expect(await ids(await get(`/api/alarms?state=history&from=${T0}&to=${T0 + 1}`))).toEqual(['a-1']);
    expect(await ids(await get('/api/alarms?state=history&from=2025-11-24T16:00:00%2B00:00&limit=1'))).toEqual(['a-2']);
  });

  it.each([
    ['state=open', /state/],
    ['severity=loud', /severity/],
    ['node=Mill_1', /node/],
    ['from=1764000000', /from/],
    [`from=${T0}&to=${T0}`, /after/],
    ['limit=0', /limit/],
    ['node=a&node=b', /node/],
  ])('refuses a bad query (%s)', async (query, message) => {
    const res = await get(`/api/alarms?${query}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(message);
  });

  it('acknowledges with the user name, once; the live feed sees it', async () => {
    const opened = await openLive(h.wsUrl, { cookie });
    if (!('probe' in opened)) throw new Error(`live feed refused: ${opened.status}`);
    const { probe } = opened;
    try {
      const post = (id: string) => fetch(`${h.url}/api/alarms/${id}/ack`, { method: 'POST', headers: writeHeaders(session), body: '{}' });
      const first = await post('a-1');
      expect(first.status).toBe(200);
      const body = (await first.json()) as { outcome: string; alarm: AlarmItem };
      expect(body.outcome).toBe('acknowledged');
      expect(body.alarm).toMatchObject({ id: 'a-1', acknowledged: true, acknowledgedBy: 'admin' });
      const again = (await (await post('a-1')).json()) as { outcome: string };
      expect(again.outcome).toBe('already');
      expect((await post('nope')).status).toBe(404);
      const frame = await waitFor(() => probe.messages.find((m) => m.type === 'alarm' && m.change === 'acknowledged'), 'alarm frame');
      expect((frame.alarm as AlarmItem).id).toBe('a-1');
    } finally {
      probe.ws.close();
    }
  });

  it('takes acknowledgements only as JSON POSTs', async () => {
    const form = await fetch(`${h.url}/api/alarms/a-1/ack`, { method: 'POST', headers: { ...writeHeaders(session), 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'x=1' });
    expect(form.status).toBe(415);
    const viaGet = await get('/api/alarms/a-1/ack');
    expect(viaGet.status).toBe(404);
    expect((await h.data.listAlarms({ state: 'active', limit: 10 })).find((a) => a.id === 'a-1')?.acknowledged).toBe(false);
  });

  describe('acknowledge link (public)', () => {
    const page = async (res: Response) => ({ status: res.status, html: await res.text(), csp: res.headers.get('content-security-policy') ?? '', referrer: res.headers.get('referrer-policy') });
    const postLink = (token: string, lang = 'ja') =>
      fetch(`${h.url}/api/alarms/ack`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token, lang }).toString() });

    it('GET shows the alarm and a button but does not acknowledge; POST acknowledges once', async () => {
      h.data.setAlarmToken('tok-1', 'a-1');
      const shown = await page(await fetch(`${h.url}/api/alarms/ack?token=tok-1&lang=ja`));
      expect(shown.status).toBe(200);
      expect(shown.html).toContain('data-outcome="valid"');
      expect(shown.html).toContain('ミル1が運転中に停止しました');
      expect(shown.html).toContain('<form method="post" action="/api/alarms/ack">');
      expect(shown.csp).toContain("form-action 'self'");
      expect(shown.referrer).toBe('no-referrer');
      expect((await h.data.listAlarms({ state: 'active', limit: 10 })).find((a) => a.id === 'a-1')?.acknowledged).toBe(false);

      const done = await page(await postLink('tok-1'));
      expect(done.status).toBe(200);
      expect(done.html).toContain('data-outcome="acknowledged"');
      expect(done.html).toContain('確認済みにしました');

      const again = await page(await postLink('tok-1', 'en'));
      expect(again.html).toContain('data-outcome="already"');
      expect(again.html).toContain('already acknowledged');
      expect(again.html).toContain('lang="en"');
    });

    it('refuses unknown, malformed and expired tokens', async () => {
      h.data.setAlarmToken('old', 'a-2', true);
      const expired = await page(await fetch(`${h.url}/api/alarms/ack?token=old&lang=en`));
      expect(expired.status).toBe(410);
      expect(expired.html).toContain('expired');
      expect((await page(await postLink('old'))).status).toBe(410);
      const unknown = await page(await fetch(`${h.url}/api/alarms/ack?token=forged`));
      expect(unknown.status).toBe(400);
      expect(unknown.html).toContain('無効');
      expect((await page(await fetch(`${h.url}/api/alarms/ack?token=%3Cscript%3E`))).status).toBe(400);
      expect((await page(await fetch(`${h.url}/api/alarms/ack`))).status).toBe(400);
      expect((await h.data.listAlarms({ state: 'active', limit: 10 })).find((a) => a.id === 'a-2')?.acknowledged).toBe(false);
    });

    it('escapes what it shows', async () => {
      h.data.putAlarm(alarm('a-9', { message: { ja: '<img src=x onerror=alert(1)>', en: 'x' } }));
      h.data.setAlarmToken('tok-9', 'a-9');
      const shown = await page(await fetch(`${h.url}/api/alarms/ack?token=tok-9`));
      expect(shown.html).not.toContain('<img');
      expect(shown.html).toContain('&lt;img');
    });
  });
});
