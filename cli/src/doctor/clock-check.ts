/**
 * Check 9, clock: the system clock is synchronized (NTP), asked of systemd with
 * `timedatectl show -p NTPSynchronized --value`. Readings, shifts and reports all hang on the
 * clock; a Pi has no battery clock, so without NTP it starts wherever it stopped.
 */
import { fail, ok, text, warn, type Check } from './check.js';

export const clockCheck: Check = {
  id: 'clock',
  title: text('clock (NTP)', '時計（NTP）'),
  timeoutMs: () => 10_000,
  async run(ctx) {
    const r = await ctx.runCommand('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { timeoutMs: 5_000 });
    const cannotTell = (why: string) =>
      warn(
        text(`cannot tell whether the clock is synchronized (${why})`, `時計が同期しているか判断できません（${why}）`),
        text('make sure an NTP client runs (systemd-timesyncd or chrony) and the clock is right: date', 'NTP クライアント（systemd-timesyncd か chrony）が動いていて時刻が正しいか確認してください: date'),
      );
    if (r.kind === 'missing') return cannotTell('timedatectl not found');
    if (r.kind === 'error') return cannotTell(r.message);
    const value = r.stdout.trim().toLowerCase();
    if (r.code !== 0) return cannotTell(`timedatectl exit ${r.code}${r.stderr.trim() ? `: ${r.stderr.trim().split('\n')[0]}` : ''}`);
    if (value === 'yes') return ok(text('synchronized with NTP', 'NTP で同期済み'));
    if (value === 'no') {
      return fail(
        text('the clock is not synchronized with NTP', '時計が NTP で同期されていません'),
        text('sudo timedatectl set-ntp true; check the network reaches an NTP server (timedatectl timesync-status)', 'sudo timedatectl set-ntp true を実行し、NTP サーバーに届くか確認してください（timedatectl timesync-status）'),
      );
    }
    return cannotTell(`timedatectl said "${value.slice(0, 40)}"`);
  },
};
