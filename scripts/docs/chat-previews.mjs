#!/usr/bin/env node
/**
 * Renders docs/chat/*.png: what an alarm looks like in each chat format. We cannot reach the
 * services, so each payload (the real one, from the built broker's webhookPayload) is drawn
 * by a small HTML renderer that approximates the service's layout, then screenshotted with
 * the system Chromium (playwright-core, as the e2e tests do). Every image says it is an
 * approximation. Run after `npm run build`:
 *
 *   node scripts/docs/chat-previews.mjs
 */
import { mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { webhookPayload } from '@mieruka/broker';

const OUT = fileURLToPath(new URL('../../docs/chat/', import.meta.url));
const MAX_BYTES = 100 * 1024;

/** A fixed example: a stopped mill, Japanese, with the acknowledge link (includeAckUrl: true). */
const NOTICE = {
  kind: 'raised',
  alarm: {
    id: 'a1',
    site: 'factory',
    node: 'mill-1',
    type: 'machine_stopped',
    severity: 'critical',
    message: { ja: '機械が予期せず停止しました', en: 'machine stopped unexpectedly' },
    activeSince: Date.UTC(2025, 10, 24, 8, 0),
    active: true,
    acknowledged: false,
  },
  dashboardUrl: 'http://hub.local:8080/#/machines/mill-1',
  ackUrl: 'http://hub.local:8080/ack/…',
};
const OPTIONS = { lang: 'ja', includeAckUrl: true, timeZone: 'Asia/Tokyo' };

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** No emoji font on the build machine: the severity marks become coloured dots. */
const MARKS = { '🔴': '#d32f2f', '🟠': '#ef6c00', '🟡': '#f9a825', '⚠️': '#f9a825', 'ℹ️': '#1976d2', '✅': '#2e7d32', '☑️': '#2e7d32' };
const marks = (html) => Object.entries(MARKS).reduce((h, [m, c]) => h.split(m).join(`<span class="dot" style="background:${c}"></span>`), html);
/** Text the payload already escaped for the service (Slack mrkdwn, Chat card HTML) is shown as the service would. */
const unescaped = (s) => String(s).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const md = (s) => marks(esc(unescaped(s)).replace(/\*([^*\n]+)\*/g, '<b>$1</b>').replace(/\n/g, '<br>'));

const BANNER = (service) => `<div class="banner">Approximation of the layout in ${service} — drawn from Mieruka's real payload, not a screenshot</div>`;

function slack(p) {
  const blocks = p.blocks
    .map((b) => {
      if (b.type === 'header') return `<div class="s-header">${marks(esc(b.text.text))}</div>`;
      if (b.type === 'section' && b.fields) return `<div class="s-fields">${b.fields.map((f) => `<div>${md(f.text)}</div>`).join('')}</div>`;
      if (b.type === 'section') return `<div class="s-text">${md(b.text.text)}</div>`;
      if (b.type === 'context') return `<div class="s-context">${b.elements.map((e) => md(e.text)).join(' ')}</div>`;
      if (b.type === 'actions') return `<div class="s-actions">${b.elements.map((e) => `<span class="s-btn ${e.style ?? ''}">${esc(e.text.text)}</span>`).join('')}</div>`;
      return '';
    })
    .join('');
  return `<div class="slack"><div class="s-avatar">M</div><div><div class="s-name">Mieruka <span class="s-app">APP</span> <span class="s-time">17:00</span></div>${blocks}</div></div>`;
}

function teams(p) {
  const card = p.attachments[0].content;
  const color = { Attention: '#c4314b', Warning: '#c19c00', Good: '#237b4b', Accent: '#4f52b2' };
  const body = card.body
    .map((e) => {
      if (e.type === 'TextBlock') return `<div class="t-text" style="${e.weight === 'Bolder' ? 'font-weight:700;font-size:17px;' : ''}color:${color[e.color] ?? '#242424'}">${esc(e.text)}</div>`;
      if (e.type === 'FactSet') return `<table class="t-facts">${e.facts.map((f) => `<tr><th>${esc(f.title)}</th><td>${esc(f.value)}</td></tr>`).join('')}</table>`;
      return '';
    })
    .join('');
  const actions = (card.actions ?? []).map((a) => `<span class="t-btn ${a.style ?? ''}">${esc(a.title)}</span>`).join('');
  return `<div class="teams"><div class="t-head"><span class="t-avatar">W</span><b>Workflows</b> <span class="t-time">17:00</span></div><div class="t-card">${body}<div class="t-actions">${actions}</div></div></div>`;
}

function googleChat(p) {
  const card = p.cardsV2[0].card;
  const widgets = card.sections[0].widgets
    .map((w) => {
      if (w.textParagraph) return `<div class="g-para">${md(w.textParagraph.text)}</div>`;
      if (w.decoratedText) return `<div class="g-deco"><div class="g-label">${esc(w.decoratedText.topLabel ?? '')}</div><div>${md(w.decoratedText.text)}</div></div>`;
      if (w.buttonList) return `<div class="g-buttons">${w.buttonList.buttons.map((b) => `<span class="g-btn">${esc(b.text)}</span>`).join('')}</div>`;
      return '';
    })
    .join('');
  return `<div class="gchat"><div class="g-name"><span class="g-avatar">M</span><b>Mieruka</b> <span class="g-app">App</span> <span class="g-time">17:00</span></div><div class="g-text">${marks(esc(p.text))}</div><div class="g-card"><div class="g-title">${marks(esc(card.header.title))}</div><div class="g-sub">${esc(card.header.subtitle ?? '')}</div>${widgets}</div></div>`;
}

function lineWorks(p) {
  return `<div class="lw"><div class="lw-room">Incoming Webhook</div><div class="lw-row"><span class="lw-avatar">W</span><div><div class="lw-name">Incoming Webhook</div><div class="lw-bubble"><div class="lw-title">${marks(esc(p.title ?? ''))}</div><div>${esc(p.body.text).replace(/\n/g, '<br>')}</div></div></div><span class="lw-time">17:00</span></div></div>`;
}

const CSS = `
  body { margin: 0; font: 14px/1.45 "IPAPGothic", "IPAGothic", sans-serif; background: #fff; }
  .frame { width: 560px; padding: 14px 16px 16px; }
  .banner { font-size: 11px; color: #8a5a00; background: #fff4d6; border: 1px dashed #d9a400; padding: 3px 8px; margin-bottom: 12px; }
  .dot { display: inline-block; width: 11px; height: 11px; border-radius: 50%; vertical-align: -1px; }
  .slack { display: flex; gap: 10px; color: #1d1c1d; }
  .s-avatar, .t-avatar, .g-avatar, .lw-avatar { display: inline-grid; place-items: center; color: #fff; font-weight: 700; }
  .s-avatar { width: 36px; height: 36px; border-radius: 6px; background: #2f6f4f; flex: none; }
  .s-name b, .s-name { font-weight: 700; } .s-app { font-size: 10px; background: #e8e8e8; color: #555; padding: 0 3px; border-radius: 2px; }
  .s-time, .t-time, .g-time, .lw-time { color: #777; font-weight: 400; font-size: 12px; }
  .s-header { font-weight: 800; font-size: 17px; margin: 4px 0; }
  .s-text { margin: 4px 0; } .s-fields { display: grid; grid-template-columns: 1fr 1fr; gap: 6px 16px; margin: 6px 0; }
  .s-context { color: #616061; font-size: 12px; } .s-actions { display: flex; gap: 8px; margin-top: 8px; }
  .s-btn { border: 1px solid #bbb; border-radius: 4px; padding: 3px 12px; font-weight: 700; } .s-btn.primary { background: #007a5a; color: #fff; border-color: #007a5a; }
  .teams { background: #f5f5f5; padding: 10px; border-radius: 4px; color: #242424; }
  .t-head { margin-bottom: 6px; } .t-avatar { width: 28px; height: 28px; border-radius: 50%; background: #5b5fc7; margin-right: 6px; }
  .t-card { background: #fff; border: 1px solid #e0e0e0; border-radius: 6px; padding: 12px 14px; }
  .t-text { margin-bottom: 6px; } .t-facts th { text-align: left; padding: 1px 14px 1px 0; font-weight: 700; } .t-facts td { padding: 1px 0; }
  .t-actions { display: flex; gap: 8px; margin-top: 10px; } .t-btn { flex: 1; text-align: center; border: 1px solid #d1d1d1; border-radius: 4px; padding: 5px; font-weight: 600; }
  .t-btn.positive { background: #5b5fc7; color: #fff; border-color: #5b5fc7; }
  .gchat { color: #1f1f1f; } .g-avatar { width: 28px; height: 28px; border-radius: 50%; background: #1a73e8; margin-right: 6px; }
  .g-app { font-size: 11px; color: #444; border: 1px solid #ccc; border-radius: 3px; padding: 0 3px; } .g-text { margin: 4px 0 8px 34px; }
  .g-card { margin-left: 34px; border: 1px solid #dadce0; border-radius: 8px; padding: 12px 16px; }
  .g-title { font-weight: 600; font-size: 15px; } .g-sub { color: #5f6368; font-size: 12px; margin-bottom: 8px; }
  .g-para { margin: 6px 0; } .g-deco { margin: 6px 0; } .g-label { color: #5f6368; font-size: 11px; }
  .g-buttons { display: flex; gap: 16px; margin-top: 8px; } .g-btn { color: #1a73e8; font-weight: 600; }
  .lw { background: #dde4ec; padding: 10px; border-radius: 4px; } .lw-room { text-align: center; font-size: 12px; color: #555; margin-bottom: 8px; }
  .lw-row { display: flex; gap: 8px; align-items: flex-end; } .lw-avatar { width: 34px; height: 34px; border-radius: 50%; background: #00c73c; align-self: flex-start; flex: none; }
  .lw-name { font-size: 12px; color: #333; } .lw-bubble { background: #fff; border-radius: 12px; padding: 8px 12px; max-width: 420px; word-break: break-all; }
  .lw-title { font-weight: 700; margin-bottom: 4px; }
`;

const FORMATS = [
  ['slack', 'Slack', slack],
  ['teams', 'Microsoft Teams (Workflows, Adaptive Card)', teams],
  ['google-chat', 'Google Chat', googleChat],
  ['line-works', 'LINE WORKS', lineWorks],
];

mkdirSync(OUT, { recursive: true });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
try {
  const page = await browser.newPage({ viewport: { width: 600, height: 400 }, deviceScaleFactor: 1 });
  for (const [format, service, render] of FORMATS) {
    const payload = webhookPayload(format, NOTICE, OPTIONS);
    await page.setContent(`<!doctype html><meta charset="utf-8"><style>${CSS}</style><div class="frame">${BANNER(service)}${render(payload)}</div>`);
    const file = `${OUT}${format}.png`;
    await page.locator('.frame').screenshot({ path: file });
    const size = statSync(file).size;
    if (size > MAX_BYTES) throw new Error(`${file} is ${size} bytes (keep it under ${MAX_BYTES})`);
    console.log(`${file} ${Math.round(size / 1024)} KB`);
  }
} finally {
  await browser.close();
}
