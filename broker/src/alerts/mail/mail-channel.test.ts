/** The mail channel against a real SMTP server (smtp-server: STARTTLS + AUTH), its queue on both stores (SQLite, PostgreSQL 15). */
import { afterEach, describe, expect, it } from 'vitest';
import { sqlBackends } from '../../test-support/sql-backends.js';
import type { SqlStore } from '../../store/sql/sql-store.js';
import { silentLogger, TS, waitFor } from '../../test-support/helpers.js';
import { SMTP_PASSWORD, SMTP_USER, startSmtpPeer, type SmtpPeer } from '../../test-support/smtp-peer.js';
import type { AlarmNotice, AlarmView } from '../channel.js';
import { MailChannel, type MailChannelOptions } from './mail-channel.js';
import { MailQueue } from './mail-queue.js';
import { recipientsFor } from './recipients.js';
import type { SmtpSettings } from './smtp-settings.js';

const ACK = 'http://192.168.1.20:8080/api/alarms/ack?token=a-1.mi0x2f.c2lnbmF0dXJl';
const DASH = 'http://192.168.1.20:8080/alarms?focus=a-1';

function alarm(patch: Partial<AlarmView> = {}): AlarmView {
  return {
    id: 'a-1',
    site: 'factory',
    node: 'mill-1',
    type: 'machine_stopped',
    severity: 'major',
    message: { ja: 'ミル1が運転中に停止しました（電源オフ）', en: 'Mill 1 stopped while running (power off)' },
    activeSince: TS,
    active: true,
    acknowledged: false,
    ...patch,
  };
}

function notice(patch: Partial<AlarmNotice> = {}, alarmPatch: Partial<AlarmView> = {}): AlarmNotice {
  return { kind: 'raised', alarm: alarm(alarmPatch), level: 0, ackUrl: ACK, ackExpiresAt: TS + 72 * 3_600_000, dashboardUrl: DASH, ...patch };
}

const backends = sqlBackends();

describe.each(backends.each)('mail channel on %s', (_name, open) => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function database(): Promise<SqlStore> {
    return (await open()).sql;
  }

  async function peer(options: Parameters<typeof startSmtpPeer>[0] = {}): Promise<SmtpPeer> {
    const p = await startSmtpPeer(options);
    cleanups.push(() => p.close());
    return p;
  }

  function smtp(port: number, patch: Partial<SmtpSettings> = {}): SmtpSettings {
    return {
      host: '127.0.0.1',
      port,
      secure: false,
      requireTLS: true,
      // smtp-server's built-in certificate is self-signed.
      rejectUnauthorized: false,
      user: SMTP_USER,
      password: SMTP_PASSWORD,
      from: 'Mieruka <mieruka@example.com>',
      timeoutMs: 5_000,
      ...patch,
    };
  }

  async function channel(db: SqlStore, port: number, patch: Partial<MailChannelOptions> = {}): Promise<MailChannel> {
    const c = new MailChannel({
      sql: () => db,
      smtp: smtp(port),
      recipients: { default: [{ address: 'foreman@example.com', language: 'ja' }], escalation: [{ address: 'boss@example.com', language: 'en' }] },
      perRecipientPerHour: 20,
      formatTime: (t) => `${new Date(t + 9 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ')} (Asia/Tokyo)`,
      nodeName: (_site, node) => (node === 'mill-1' ? 'ミル1' : node),
      logger: silentLogger,
      retry: { baseMs: 50, maxMs: 200 },
      pollMs: 20,
      ...patch,
    });
    cleanups.push(() => c.stop());
    await c.start();
    return c;
  }

  it('sends a Japanese mail over STARTTLS with AUTH: subject, text, links, HTML', async () => {
    const db = await database();
    const smtpPeer = await peer();
    const mail = await channel(db, smtpPeer.port);
    await mail.deliver(notice());
    const [got] = await waitFor(() => (smtpPeer.received.length === 1 ? smtpPeer.received : null), 'the mail');
    if (!got) throw new Error('no mail');
    expect(got.secure).toBe(true);
    expect(got.authUser).toBe(SMTP_USER);
    expect(got.envelopeTo).toEqual(['foreman@example.com']);
    const m = got.parsed;
    expect(m.subject).toBe('【Mieruka】[重要] 発生: ミル1が運転中に停止しました（電源オフ）');
    expect(m.from?.text).toContain('mieruka@example.com');
    expect(m.headers.get('auto-submitted')).toBe('auto-generated');
    expect(m.headers.get('x-mieruka-alarm')).toBe('a-1');
    expect(m.text).toContain('ミル1が運転中に停止しました');
    expect(m.text).toContain('機械・ステーション: ミル1（factory/mill-1）');
    expect(m.text).toContain('発生時刻: 2025-11-25 01:00 (Asia/Tokyo)');
    expect(m.text).toContain('状態: 発生中・未確認');
    expect(m.text).toContain(`ダッシュボード: ${DASH}`);
    expect(m.text).toContain(`確認する（アクノレッジ）: ${ACK}&lang=ja`);
    const hrefs = [...String(m.html).matchAll(/href="([^"]+)"/g)].map((x) => (x[1] ?? '').replaceAll('&amp;', '&'));
    expect(hrefs).toEqual([`${ACK}&lang=ja`, DASH]);
    await mail.pumpNow();
    expect(mail.status()).toEqual({ ok: true, pending: 0 });
    expect((await new MailQueue(db).all()).map((r) => r.status)).toEqual(['sent']);
  });

  it('writes to each recipient in their language and tells the escalation list on escalation', async () => {
    const db = await database();
    const smtpPeer = await peer();
    const mail = await channel(db, smtpPeer.port);
    await mail.deliver(notice({ kind: 'escalated', level: 1 }));
    const got = await waitFor(() => smtpPeer.received.find((r) => r.envelopeTo.includes('boss@example.com')), 'the escalation mail');
    expect(got.parsed.subject).toBe('[Mieruka] [Major] Escalated: Mill 1 stopped while running (power off)');
    expect(got.parsed.text).toContain('Nobody has acknowledged this alarm in time');
    expect(got.parsed.text).toContain(`Acknowledge: ${ACK}&lang=en`);
    await mail.pumpNow();
    expect(smtpPeer.received).toHaveLength(1);
  });

  it('keeps the mail while SMTP is down and sends it when the server is back', async () => {
    const db = await database();
    const smtpPeer = await peer();
    await smtpPeer.close();
    const mail = await channel(db, smtpPeer.port);
    await mail.deliver(notice());
    await mail.pumpNow();
    const queue = new MailQueue(db);
    await waitFor(async () => ((await queue.all())[0]?.attempts ?? 0) >= 1, 'a failed attempt');
    expect((await queue.all())[0]).toMatchObject({ status: 'pending' });
    expect((await queue.all())[0]?.lastError).toMatch(/ECONNREFUSED|ECONNECTION|ESOCKET/);
    await mail.pumpNow();
    const down = mail.status();
    expect(down.ok).toBe(false);
    expect(down.pending).toBe(1);

    await smtpPeer.listen();
    const got = await waitFor(() => smtpPeer.received[0], 'the mail after the outage');
    expect(got.parsed.subject).toContain('ミル1が運転中に停止しました');
    await waitFor(() => mail.status().ok, 'channel healthy again');
    expect((await queue.all()).map((r) => r.status)).toEqual(['sent']);
    expect(mail.stats().failedAttempts).toBeGreaterThanOrEqual(1);
  });

  it('keeps a mail queued while SMTP was down across a restart of the channel, and sends it once after', async () => {
    const db = await database();
    const smtpPeer = await peer();
    await smtpPeer.close();
    const first = await channel(db, smtpPeer.port, { retry: { baseMs: 3_600_000, maxMs: 3_600_000 } });
    await first.deliver(notice());
    await first.pumpNow();
    await waitFor(async () => ((await new MailQueue(db).all())[0]?.attempts ?? 0) >= 1, 'a failed attempt');
    await first.stop();
    expect((await new MailQueue(db).all()).map((r) => [r.status, r.nextAttemptAt > Date.now()])).toEqual([['pending', true]]);

    await smtpPeer.listen();
    // The next start tries at once, not an hour later.
    await channel(db, smtpPeer.port);
    await waitFor(() => smtpPeer.received[0], 'the mail after the restart');
    await waitFor(async () => (await new MailQueue(db).all()).every((r) => r.status === 'sent'), 'marked sent');
    expect(smtpPeer.received).toHaveLength(1);
  });

  it('reports a wrong password as not ok and keeps retrying', async () => {
    const db = await database();
    const smtpPeer = await peer({ password: 'the-right-one' });
    const mail = await channel(db, smtpPeer.port);
    await mail.deliver(notice());
    await waitFor(() => !mail.status().ok, 'not ok');
    expect(mail.status().detail).toMatch(/535|auth/i);
    const row = (await new MailQueue(db).all())[0];
    expect(row?.status).toBe('pending');
    expect(smtpPeer.received).toHaveLength(0);
  });

  it('gives up on a recipient the server refuses for good, and sends to the others', async () => {
    const db = await database();
    const smtpPeer = await peer({ rejectRecipients: ['boss@example.com'] });
    const mail = await channel(db, smtpPeer.port);
    await mail.deliver(notice({ kind: 'reminder', level: 1 }));
    await waitFor(() => smtpPeer.received.length === 1, 'the mail to the foreman');
    const queue = new MailQueue(db);
    await waitFor(async () => (await queue.all()).every((r) => r.status !== 'pending'), 'queue settled');
    const rows = await queue.all();
    expect(rows.map((r) => [r.recipient, r.status])).toEqual([
      ['foreman@example.com', 'sent'],
      ['boss@example.com', 'failed'],
    ]);
    expect(rows[1]?.lastError).toMatch(/550/);
    expect(mail.status().ok).toBe(true);
  });

  it('holds mails over the hourly limit and sends them later as one summary', async () => {
    const db = await database();
    const smtpPeer = await peer();
    let now = TS;
    const mail = await channel(db, smtpPeer.port, { perRecipientPerHour: 2, now: () => now });
    for (let i = 1; i <= 5; i++) {
      await mail.deliver(notice({}, { id: `a-${i}`, message: { ja: `アラーム${i}`, en: `Alarm ${i}` } }));
      await mail.pumpNow();
    }
    await waitFor(() => smtpPeer.received.length === 2, 'two mails');
    const queue = new MailQueue(db);
    expect((await queue.all()).map((r) => r.status)).toEqual(['sent', 'sent', 'held', 'held', 'held']);
    expect(mail.status().pending).toBe(3);

    now += 3_600_000 + 1_000;
    await mail.pumpNow();
    const summary = await waitFor(() => smtpPeer.received[2], 'the summary');
    expect(summary.parsed.subject).toBe('【Mieruka】通知 3 件のまとめ');
    for (const i of [3, 4, 5]) expect(summary.parsed.text).toContain(`アラーム${i}`);
    expect(summary.parsed.text).not.toContain('アラーム1');
    await mail.pumpNow();
    expect((await queue.all()).map((r) => r.status)).toEqual(['sent', 'sent', 'summarized', 'summarized', 'summarized', 'sent']);
    expect(mail.stats()).toMatchObject({ held: 3, summaries: 1 });
  });
});

describe('recipientsFor', () => {
  const lists = {
    default: [{ address: 'a@example.com', language: 'ja' as const }],
    escalation: [
      { address: 'b@example.com', language: 'en' as const },
      { address: 'A@example.com', language: 'ja' as const },
    ],
  };
  it.each([
    ['raised', 0, ['a@example.com']],
    ['reminder', 0, ['a@example.com']],
    ['escalated', 1, ['b@example.com', 'A@example.com']],
    ['reminder', 1, ['a@example.com', 'b@example.com']],
    ['acknowledged', 1, ['a@example.com', 'b@example.com']],
    ['cleared', 0, ['a@example.com']],
  ] as const)('%s at level %i goes to %j', (kind, level, expected) => {
    expect(recipientsFor({ kind, level }, lists).map((r) => r.address)).toEqual(expected);
  });

  it('uses the escalation list when there are no first recipients', () => {
    expect(recipientsFor({ kind: 'raised', level: 0 }, { default: [], escalation: lists.escalation }).map((r) => r.address)).toEqual(['b@example.com', 'A@example.com']);
  });
});
