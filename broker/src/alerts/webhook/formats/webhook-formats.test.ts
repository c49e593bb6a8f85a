/**
 * Each chat format posted by the real WebhookChannel to a real node:http peer on 127.0.0.1
 * (port 0). The body received over HTTP is checked against a zod schema per service that
 * mirrors the fields its documentation requires (URL beside each schema), then for content:
 * Japanese and English, the since time in the hub's time zone, the acknowledge link only with
 * includeAckUrl and only while the alarm is open.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseConfig, WEBHOOK_FORMATS, type WebhookFormat } from '@mieruka/protocol';
import type { AlarmNotice } from '../../channel.js';
import { silentLogger, waitFor } from '../../../test-support/helpers.js';
import { startHttpPeer, type HttpPeer } from '../../../test-support/http-peer.js';
import { WebhookChannel, type WebhookTarget } from '../webhook-channel.js';

const TS = Date.UTC(2025, 10, 24, 8, 0); // 17:00 in Tokyo, the hub's zone below
const ACK = 'http://hub.local:8080/ack/signed-token';
const DASHBOARD = 'http://hub.local:8080/#/machines/mill-1';

// Slack: https://api.slack.com/messaging/webhooks and https://api.slack.com/reference/block-kit/blocks
const SlackPlain = (max: number) => z.strictObject({ type: z.literal('plain_text'), text: z.string().min(1).max(max), emoji: z.boolean().optional() });
const SlackMrkdwn = (max: number) => z.strictObject({ type: z.literal('mrkdwn'), text: z.string().min(1).max(max) });
const SlackBlock = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('header'), text: SlackPlain(150) }),
  z.strictObject({ type: z.literal('section'), text: SlackMrkdwn(3000).optional(), fields: z.array(SlackMrkdwn(2000)).min(1).max(10).optional() }).refine((s) => s.text || s.fields, 'a section needs text or fields'),
  z.strictObject({ type: z.literal('context'), elements: z.array(SlackMrkdwn(3000)).min(1).max(10) }),
  z.strictObject({
    type: z.literal('actions'),
    elements: z.array(z.strictObject({ type: z.literal('button'), text: SlackPlain(75), url: z.url().max(3000), style: z.enum(['primary', 'danger']).optional() })).min(1).max(25),
  }),
]);
const SlackMessage = z.strictObject({ text: z.string().min(1), blocks: z.array(SlackBlock).min(1).max(50) });

// Teams Workflows webhook: https://learn.microsoft.com/en-us/connectors/teams/?tabs=text1#microsoft-teams-webhook
// Adaptive Card elements: https://adaptivecards.io/explorer/
const TeamsElement = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('TextBlock'),
    text: z.string().min(1),
    wrap: z.boolean().optional(),
    weight: z.enum(['Default', 'Lighter', 'Bolder']).optional(),
    size: z.enum(['Default', 'Small', 'Medium', 'Large', 'ExtraLarge']).optional(),
    color: z.enum(['Default', 'Dark', 'Light', 'Accent', 'Good', 'Warning', 'Attention']).optional(),
  }),
  z.strictObject({ type: z.literal('FactSet'), facts: z.array(z.strictObject({ title: z.string().min(1), value: z.string().min(1) })).min(1) }),
]);
const TeamsOpenUrl = z.strictObject({ type: z.literal('Action.OpenUrl'), title: z.string().min(1), url: z.url(), style: z.enum(['default', 'positive', 'destructive']).optional() });
const AdaptiveCard = z.strictObject({
  $schema: z.string().optional(),
  type: z.literal('AdaptiveCard'),
  version: z.string().regex(/^1\.[0-5]$/, 'Teams shows Adaptive Cards up to 1.5'),
  body: z.array(TeamsElement).min(1),
  actions: z.array(TeamsOpenUrl).min(1).optional(),
});
const TeamsMessage = z.strictObject({
  type: z.literal('message'),
  attachments: z.array(z.strictObject({ contentType: z.literal('application/vnd.microsoft.card.adaptive'), contentUrl: z.null().optional(), content: AdaptiveCard })).length(1),
});

// Google Chat: https://developers.google.com/workspace/chat/quickstart/webhooks and
// https://developers.google.com/workspace/chat/api/reference/rest/v1/cards
const ChatWidget = z.union([
  z.strictObject({ textParagraph: z.strictObject({ text: z.string().min(1) }) }),
  z.strictObject({ decoratedText: z.strictObject({ topLabel: z.string().optional(), text: z.string().min(1) }) }),
  z.strictObject({ buttonList: z.strictObject({ buttons: z.array(z.strictObject({ text: z.string().min(1), onClick: z.strictObject({ openLink: z.strictObject({ url: z.url() }) }) })).min(1) }) }),
]);
const ChatCard = z.strictObject({
  header: z.strictObject({ title: z.string().min(1), subtitle: z.string().optional() }).optional(),
  sections: z.array(z.strictObject({ header: z.string().optional(), widgets: z.array(ChatWidget).min(1) })).min(1),
});
const GoogleChatMessage = z
  .strictObject({ text: z.string().min(1).optional(), cardsV2: z.array(z.strictObject({ cardId: z.string().min(1), card: ChatCard })).min(1).optional() })
  .refine((m) => m.text || m.cardsV2, 'a message needs text or cardsV2');

// LINE WORKS Incoming Webhook app: https://developers.worksmobile.com/jp/docs/webhook
const LineWorksMessage = z.strictObject({ title: z.string().min(1).optional(), body: z.strictObject({ text: z.string().min(1) }) });

type Chat = Exclude<WebhookFormat, 'generic'>;
const SCHEMAS: Record<Chat, z.ZodType> = { slack: SlackMessage, teams: TeamsMessage, 'google-chat': GoogleChatMessage, 'line-works': LineWorksMessage };

/** Where each format puts its links: buttons for the card formats, lines of text for LINE WORKS. */
const LINKS: Record<Chat, (body: any) => string[]> = {
  slack: (b) => b.blocks.filter((x: any) => x.type === 'actions').flatMap((x: any) => x.elements.map((e: any) => e.url)),
  teams: (b) => (b.attachments[0].content.actions ?? []).map((a: any) => a.url),
  'google-chat': (b) => b.cardsV2[0].card.sections.flatMap((s: any) => s.widgets.flatMap((w: any) => (w.buttonList ? w.buttonList.buttons.map((x: any) => x.onClick.openLink.url) : []))),
  'line-works': (b) => [...b.body.text.matchAll(/https?:\/\/\S+/g)].map((m) => m[0]),
};
const CHATS = Object.keys(SCHEMAS) as Chat[];

function notice(kind: AlarmNotice['kind'] = 'raised', message = { ja: '機械が予期せず停止しました', en: 'machine stopped unexpectedly' }): AlarmNotice {
  return {
    kind,
    alarm: {
      id: 'a1',
      site: 'factory',
      node: 'mill-1',
      type: 'machine_stopped',
      severity: 'critical',
      message,
      activeSince: TS,
      active: kind !== 'cleared',
      acknowledged: kind === 'acknowledged',
      ...(kind === 'acknowledged' ? { acknowledgedBy: 'sato' } : {}),
    },
    dashboardUrl: DASHBOARD,
    ackUrl: ACK,
  };
}

describe('webhook chat formats over real HTTP', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  /** Posts the notices through one channel to one peer per format; returns the bodies by format. */
  async function post(target: Omit<WebhookTarget, 'name' | 'url' | 'format'>, ...notices: AlarmNotice[]): Promise<Record<Chat, unknown[]>> {
    const peers = {} as Record<Chat, HttpPeer<unknown>>;
    for (const chat of CHATS) {
      // Teams Workflows answer 202 Accepted; the others 200.
      peers[chat] = await startHttpPeer((_req, res) => res.writeHead(chat === 'teams' ? 202 : 200).end());
      cleanups.push(() => peers[chat].close());
    }
    const ch = new WebhookChannel({
      logger: silentLogger,
      timeZone: 'Asia/Tokyo',
      targets: CHATS.map((chat) => ({ ...target, name: chat, format: chat, url: `http://127.0.0.1:${peers[chat].port}/hook/secret-token` })),
    });
    cleanups.push(() => ch.stop());
    await ch.start();
    for (const n of notices) await ch.deliver(n);
    await waitFor(() => ch.stats().every((s) => s.sent === notices.length), 'every format delivered');
    expect(ch.status().ok).toBe(true);
    const bodies = {} as Record<Chat, unknown[]>;
    for (const chat of CHATS) {
      expect(peers[chat].received.map((r) => [r.method, r.path, r.headers['content-type']])).toEqual(notices.map(() => ['POST', '/hook/secret-token', 'application/json; charset=utf-8']));
      bodies[chat] = peers[chat].received.map((r) => r.body);
    }
    return bodies;
  }

  it.each(CHATS)('%s: Japanese by default, the documented shape, no acknowledge link unless asked', async (chat) => {
    const bodies = await post({}, notice('raised'));
    const body = bodies[chat][0];
    expect(SCHEMAS[chat].safeParse(body).error).toBeUndefined();
    const all = JSON.stringify(body);
    for (const part of ['重大', '発生', 'factory/mill-1', '機械が予期せず停止しました', '2025/11/24 17:00']) expect(all).toContain(part);
    expect(all).not.toMatch(/CRITICAL|machine stopped/);
    expect(LINKS[chat](body)).toEqual([DASHBOARD]);
    expect(all).not.toContain(ACK);
  });

  it.each(CHATS)('%s: English, with the acknowledge link on request while the alarm is open', async (chat) => {
    const bodies = await post({ lang: 'en', includeAckUrl: true }, notice('escalated'), notice('acknowledged'), notice('cleared'));
    const [escalated, acknowledged, cleared] = bodies[chat];
    for (const body of bodies[chat]) {
      expect(SCHEMAS[chat].safeParse(body).error).toBeUndefined();
      const all = JSON.stringify(body);
      for (const part of ['CRITICAL', 'factory/mill-1', 'machine stopped unexpectedly', '24/11/2025, 17:00']) expect(all).toContain(part);
      expect(all).not.toMatch(/重大|機械/);
    }
    expect(JSON.stringify(escalated)).toContain('escalated');
    expect(LINKS[chat](escalated)).toEqual([DASHBOARD, ACK]);
    // Nothing left to acknowledge: the link is left out even with includeAckUrl.
    expect(LINKS[chat](acknowledged)).toEqual([DASHBOARD]);
    expect(JSON.stringify(acknowledged)).toContain('Acknowledged by');
    expect(JSON.stringify(acknowledged)).toContain('sato');
    expect(JSON.stringify(escalated)).not.toContain('Acknowledged by');
    expect(LINKS[chat](cleared)).toEqual([DASHBOARD]);
    expect(JSON.stringify(cleared)).toContain('cleared');
  });

  it('markup in a message is escaped where the service reads markup (Slack mrkdwn, Google Chat card HTML)', async () => {
    const raw = 'pressure <5 bar & falling > limit';
    const bodies = await post({ lang: 'en' }, notice('raised', { ja: raw, en: raw }));
    const slack = SlackMessage.parse(bodies.slack[0]);
    expect(slack.blocks[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: 'pressure &lt;5 bar &amp; falling &gt; limit' } });
    expect(slack.text).not.toContain('<5');
    expect(JSON.stringify(bodies['google-chat'][0])).toContain('pressure &lt;5 bar &amp; falling &gt; limit');
    // Plain-text services show the message as written.
    expect((bodies['line-works'][0] as { body: { text: string } }).body.text).toContain(raw);
    expect(JSON.stringify(bodies.teams[0])).toContain(raw);
  });

  it('config: format defaults to generic, takes every format, refuses an unknown one naming the field', () => {
    const parsed = parseConfig({ text: 'alerts:\n  webhooks:\n    - { name: a, url: "https://x.example/h" }\n    - { name: b, url: "https://y.example/h", format: google-chat }\n' });
    expect(parsed.alerts.webhooks.map((w) => w.format)).toEqual(['generic', 'google-chat']);
    expect(WEBHOOK_FORMATS).toEqual(['generic', ...CHATS]);
    expect(() => parseConfig({ text: 'alerts:\n  webhooks:\n    - { name: a, url: "https://x.example/h", format: discord }\n' })).toThrow(/alerts\.webhooks\.0\.format/);
  });
});
