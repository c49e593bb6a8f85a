import { describe, expect, it } from 'vitest';
import { parseConfig, redactConfig } from '@mieruka/protocol';
import { silentLogger } from '../test-support/helpers.js';
import { createAlertChannels, publicBaseUrl } from './channels.js';
import { MailChannel } from './mail/mail-channel.js';
import { smtpSettings } from './mail/smtp-settings.js';

const deps = { sql: () => { throw new Error('not opened in this test'); }, logger: silentLogger };

describe('createAlertChannels', () => {
  it('makes no mail channel without an SMTP host; with one but no recipients yet, a channel that can take them at run time', () => {
    expect(createAlertChannels(parseConfig(), deps)).toEqual([]);
    const config = parseConfig({ text: 'alerts:\n  smtp: { host: smtp.example.com }\n' });
    const [mail] = createAlertChannels(config, deps);
    expect(mail).toBeInstanceOf(MailChannel);
    if (!(mail instanceof MailChannel)) return;
    expect(mail.hasRecipients).toBe(false);
    mail.reconfigure(parseConfig({ text: 'alerts:\n  smtp: { host: smtp.example.com }\n  recipients: { default: [night@example.com] }\n' }));
    expect(mail.hasRecipients).toBe(true);
  });

  it('makes the mail channel from the config, without touching the database', () => {
    const config = parseConfig({ text: 'alerts:\n  smtp: { host: smtp.example.com }\n  recipients: { escalation: [boss@example.com] }\n' });
    const channels = createAlertChannels(config, deps);
    expect(channels.map((c) => c.name)).toEqual(['mail']);
    expect(channels[0]?.status()).toEqual({ ok: true });
  });

  it('derives SMTP defaults: STARTTLS on 587, TLS on 465, sender from the user', () => {
    const plain = smtpSettings(parseConfig({ text: 'alerts:\n  smtp: { host: smtp.example.com, user: me@example.com, password: pw }\n' }).alerts.smtp);
    expect(plain).toMatchObject({ port: 587, secure: false, requireTLS: true, from: 'me@example.com', timeoutMs: 30_000 });
    const tls = smtpSettings(parseConfig({ text: 'alerts:\n  smtp: { host: smtp.example.com, secure: true }\n' }).alerts.smtp);
    expect(tls).toMatchObject({ port: 465, secure: true, from: 'mieruka@smtp.example.com' });
    expect(smtpSettings(parseConfig().alerts.smtp)).toBeNull();
  });

  it('normalizes the public URL', () => {
    expect(publicBaseUrl(parseConfig({ text: 'alerts:\n  publicUrl: http://hub.lan:8080/\n' }))).toBe('http://hub.lan:8080');
    expect(publicBaseUrl(parseConfig())).toBeNull();
  });

  it('makes one channel per PATLITE tower and one webhook channel, from validated config', () => {
    const config = parseConfig({
      text: [
        'alerts:',
        '  towers:',
        '    - { name: floor, type: pns, host: 127.0.0.1, model: nh }',
        '    - { name: bench, type: relay, node: bench-1, patterns: { info: null, critical: { red: blink, buzzer: 2 } } }',
        '  webhooks:',
        '    - { name: chat, url: "https://chat.example.com/hooks/SECRET-TOKEN" }',
        '',
      ].join('\n'),
    });
    const published: unknown[] = [];
    const channels = createAlertChannels(config, { ...deps, publish: async (m) => void published.push(m), isOnline: () => true });
    expect(channels.map((c) => c.name)).toEqual(['patlite:floor', 'patlite:bench', 'webhook']);
    expect(config.alerts.towers[0]).toMatchObject({ port: 10000, la6Command: 'D', timeoutMs: 3000, holdS: 900 });
    // The webhook URL holds a token: never shown when the config is logged.
    expect(JSON.stringify(redactConfig(config))).not.toContain('SECRET-TOKEN');
  });

  it('refuses incomplete towers and webhooks at start-up, naming the field', () => {
    expect(() => parseConfig({ text: 'alerts:\n  towers:\n    - { name: t, type: pns }\n' })).toThrow(/alerts\.towers\.0\.host/);
    expect(() => parseConfig({ text: 'alerts:\n  towers:\n    - { name: t, type: relay }\n' })).toThrow(/alerts\.towers\.0\.node/);
    expect(() => parseConfig({ text: 'alerts:\n  towers:\n    - { name: t, type: pns, host: h, model: xx }\n' })).toThrow(/model/);
    expect(() => parseConfig({ text: 'alerts:\n  webhooks:\n    - { name: w, url: "ftp://x" }\n' })).toThrow(/alerts\.webhooks\.0\.url/);
  });
});
