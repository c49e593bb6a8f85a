/** 日本語のメール文面（既定）. */
import type { AlarmSeverity } from '../../channel.js';
import { htmlMail, textLines, type MailTemplates, type NoticeMailInput } from './template.js';

const SEVERITY: Record<AlarmSeverity, string> = { critical: '重大', major: '重要', minor: '軽微', warning: '警告', info: '情報' };
const KIND = { raised: '発生', reminder: '再通知', escalated: 'エスカレーション', acknowledged: '確認済み', cleared: '解消' } as const;
const FOOTER = 'Mieruka（見える化）からの自動送信メールです。';

function state(input: NoticeMailInput): string {
  const a = input.notice.alarm;
  return `${a.active ? '発生中' : '解消済み'}・${a.acknowledged ? `確認済み${a.acknowledgedBy ? `（${a.acknowledgedBy}）` : ''}` : '未確認'}`;
}

export const ja: MailTemplates = {
  notice(input) {
    const { notice } = input;
    const a = notice.alarm;
    const kind = KIND[notice.kind];
    const subject = `【Mieruka】[${SEVERITY[a.severity]}] ${kind}: ${a.message.ja}`;
    const intro =
      notice.kind === 'escalated'
        ? 'このアラームは一定時間確認されていないため、エスカレーション先にもお知らせしています。'
        : notice.kind === 'reminder'
          ? 'このアラームはまだ確認されていません。'
          : undefined;
    const facts: Array<[string, string | undefined]> = [
      ['種別', `${kind}（${SEVERITY[a.severity]}）`],
      ['機械・ステーション', `${input.nodeName}（${a.site}/${a.node}）`],
      ['発生時刻', input.since],
      ['解消時刻', input.clearedAt],
      ['状態', state(input)],
    ];
    const links: Array<[string, string | undefined]> = [
      ['ダッシュボード', input.dashboardUrl],
      ['確認する（アクノレッジ）', input.ackUrl],
      ['リンクの有効期限', input.ackUrl ? input.ackExpires : undefined],
    ];
    const text = [a.message.ja, intro, '', textLines(facts), '', textLines(links), '', '-- ', FOOTER]
      .filter((l) => l !== undefined)
      .join('\n')
      .replace(/\n{3,}/g, '\n\n');
    const html = htmlMail({
      lang: 'ja',
      title: subject,
      heading: a.message.ja,
      rows: [...(intro ? ([['', intro]] as Array<[string, string]>) : []), ...facts.filter((r): r is [string, string] => r[1] !== undefined)],
      links: [
        ...(input.ackUrl ? [{ label: '確認する（アクノレッジ）', href: input.ackUrl }] : []),
        ...(input.dashboardUrl ? [{ label: 'ダッシュボードを開く', href: input.dashboardUrl }] : []),
      ],
      footer: FOOTER,
    });
    return { subject, text, html };
  },

  summary(input) {
    const subject = `【Mieruka】通知 ${input.subjects.length} 件のまとめ`;
    const intro = `1時間あたりの送信上限に達したため、次の ${input.subjects.length} 件の通知をまとめてお送りします。`;
    const text = [intro, '', ...input.subjects.map((s) => `・${s}`), '', ...(input.dashboardUrl ? [`ダッシュボード: ${input.dashboardUrl}`, ''] : []), '-- ', FOOTER].join('\n');
    const html = htmlMail({
      lang: 'ja',
      title: subject,
      heading: intro,
      rows: input.subjects.map((s, i) => [`${i + 1}`, s]),
      links: input.dashboardUrl ? [{ label: 'ダッシュボードを開く', href: input.dashboardUrl }] : [],
      footer: FOOTER,
    });
    return { subject, text, html };
  },
};
