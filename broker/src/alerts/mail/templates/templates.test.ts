import { describe, expect, it } from 'vitest';
import type { AlarmNotice } from '../../channel.js';
import { MAIL_TEMPLATES } from './index.js';

const notice = (patch: Partial<AlarmNotice> = {}): AlarmNotice => ({
  kind: 'raised',
  level: 0,
  alarm: {
    id: 'a-1',
    site: 'factory',
    node: 'bench-1',
    type: 'clutter_high',
    severity: 'minor',
    message: { ja: '作業台の散乱度が72です <b>', en: 'Bench clutter score is 72 <b>' },
    activeSince: 0,
    active: true,
    acknowledged: false,
  },
  ...patch,
});

describe('mail templates', () => {
  it.each(['ja', 'en'] as const)('%s: escapes HTML and leaves links out when there are none', (lang) => {
    const m = MAIL_TEMPLATES[lang].notice({ notice: notice(), nodeName: 'Bench & <1>', since: '2025-11-24 17:00 (Asia/Tokyo)' });
    expect(m.html).not.toContain('<b>');
    expect(m.html).toContain('&lt;b&gt;');
    expect(m.html).toContain('Bench &amp; &lt;1&gt;');
    expect(m.html).not.toContain('href=');
    expect(m.text).toContain('<b>'); // plain text stays as written
    expect(m.text).not.toMatch(/Acknowledge|アクノレッジ/);
  });

  it('says who acknowledged and when it cleared', () => {
    const alarm = { ...notice().alarm, active: false, acknowledged: true, acknowledgedBy: 'tanaka', clearedAt: 1 };
    const ja = MAIL_TEMPLATES.ja.notice({ notice: notice({ kind: 'cleared', alarm }), nodeName: '作業台', since: 's', clearedAt: 'c' });
    expect(ja.subject).toBe('【Mieruka】[軽微] 解消: 作業台の散乱度が72です <b>');
    expect(ja.text).toContain('状態: 解消済み・確認済み（tanaka）');
    expect(ja.text).toContain('解消時刻: c');
    const en = MAIL_TEMPLATES.en.notice({ notice: notice({ kind: 'acknowledged', alarm }), nodeName: 'Bench', since: 's' });
    expect(en.subject).toBe('[Mieruka] [Minor] Acknowledged: Bench clutter score is 72 <b>');
    expect(en.text).toContain('State: cleared, acknowledged by tanaka');
  });

  it('summarizes held notifications in both languages', () => {
    const ja = MAIL_TEMPLATES.ja.summary({ subjects: ['一', '二'], dashboardUrl: 'http://h/' });
    expect(ja.subject).toBe('【Mieruka】通知 2 件のまとめ');
    expect(ja.text).toContain('・一\n・二');
    expect(ja.text).toContain('ダッシュボード: http://h/');
    const en = MAIL_TEMPLATES.en.summary({ subjects: ['one'] });
    expect(en.subject).toBe('[Mieruka] Summary of 1 notifications');
    expect(en.html).toContain('one');
  });
});
