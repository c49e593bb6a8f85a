/**
 * Check 7, SMTP: the configured mail server accepts a connection and the login, without a
 * mail being sent (the hub's own transport settings, nodemailer verify).
 */
import { fail, ok, skip, text, type Check } from './check.js';

export const smtpCheck: Check = {
  id: 'smtp',
  title: text('mail server (SMTP)', 'メールサーバー（SMTP）'),
  timeoutMs: (ctx) => ctx.config.alerts.smtp.timeoutS * 1000 + 5_000,
  async run(ctx) {
    const { smtpSettings, verifySmtp } = await import('@mieruka/broker');
    const settings = smtpSettings(ctx.config.alerts.smtp);
    if (!settings) return skip(text('no SMTP server configured (alerts.smtp.host)', 'SMTP サーバーが設定されていません（alerts.smtp.host）'));
    const where = `${settings.host}:${settings.port}`;
    const login = settings.user === undefined ? text('connected (no login configured)', '接続成功（ログイン設定なし）') : text(`login as ${settings.user} accepted`, `${settings.user} でログイン成功`);
    const result = await verifySmtp(settings);
    if (result.ok) return ok(text(`${where}: ${login.en}`, `${where}: ${login.ja}`));
    switch (result.kind) {
      case 'auth':
        return fail(
          text(`${where}: login as ${settings.user ?? '(none)'} refused: ${result.message}`, `${where}: ${settings.user ?? '(なし)'} のログインが拒否されました: ${result.message}`),
          text('check alerts.smtp.user and alerts.smtp.password (many providers need an app password)', 'alerts.smtp.user と alerts.smtp.password を確認してください（多くのメールサービスではアプリパスワードが必要です）'),
        );
      case 'tls':
        return fail(
          text(`${where}: TLS failed: ${result.message}`, `${where}: TLS エラー: ${result.message}`),
          text('check alerts.smtp.port and secure (465: secure true; 587: STARTTLS); for an in-house relay with a self-signed certificate set rejectUnauthorized: false', 'alerts.smtp.port と secure を確認してください（465 は secure: true、587 は STARTTLS）。自己署名証明書の社内リレーなら rejectUnauthorized: false'),
        );
      default:
        return fail(
          text(`${where}: cannot reach the mail server: ${result.message}`, `${where}: メールサーバーに接続できません: ${result.message}`),
          text('check alerts.smtp.host and port, and that this network may send mail out (firewall, port 587/465)', 'alerts.smtp.host とポート、このネットワークからメール送信が許可されているか（ファイアウォール、587/465 番）を確認してください'),
        );
    }
  },
};
