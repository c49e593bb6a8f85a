/**
 * Runs the checks: the config first (every other check needs it), then the rest side by side,
 * each within its own time limit so the doctor never hangs; a check that throws is a fail, not
 * a crash. Returns the outcomes in a fixed order and the exit code for scripts.
 */
import { isMierukaError } from '@mieruka/protocol';
import { loadConfig } from '../load-config.js';
import { audioCheck } from './audio-check.js';
import { brokerCheck } from './broker-check.js';
import { cameraCheck } from './camera-check.js';
import { fail, reason, skip, text, type Check, type CheckOutcome, type CheckStatus, type ConfigSource, type DoctorContext, type Text } from './check.js';
import { clockCheck } from './clock-check.js';
import { configOutcome } from './config-check.js';
import { dataDirCheck } from './data-dir-check.js';
import { gpioCheck } from './gpio-check.js';
import { patliteCheck } from './patlite-check.js';
import { serialCheck } from './serial-check.js';
import { smtpCheck } from './smtp-check.js';

export const CHECKS: readonly Check[] = [dataDirCheck, serialCheck, cameraCheck, gpioCheck, audioCheck, brokerCheck, smtpCheck, patliteCheck, clockCheck];
export const CONFIG_TITLE = text('config file', '設定ファイル');
export const CHECK_IDS: readonly string[] = ['config', ...CHECKS.map((c) => c.id)];

export type DoctorOutcome = CheckOutcome & { id: string; title: Text };

export type DoctorRun = {
  outcomes: DoctorOutcome[];
  /** 0: no fail; 1: a check failed; 2: the doctor could not run (the config file is unreadable). */
  exitCode: 0 | 1 | 2;
};

/** The config as the other commands load it; the loader's error when it cannot be used. */
export function loadConfigSource(options: { file?: string; env: Record<string, string | undefined>; cwd: string }): ConfigSource {
  try {
    const { config, file } = loadConfig(options);
    return { ok: true, config, file };
  } catch (err) {
    const file = options.file ?? options.env.MIERUKA_CONFIG;
    return { ok: false, file, code: isMierukaError(err) ? err.code : 'CONFIG_INVALID', error: reason(err) };
  }
}

export async function runCheck(check: Check, ctx: Parameters<Check['run']>[0]): Promise<CheckOutcome> {
  let limit: number;
  try {
    limit = check.timeoutMs(ctx);
  } catch {
    limit = 30_000;
  }
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => {
      abort.abort();
      const seconds = Math.round(limit / 100) / 10;
      resolve(
        fail(
          text(`did not finish within ${seconds} s`, `${seconds} 秒以内に終わりませんでした`),
          text('the part it checks hangs: see the message above and the logs (journalctl -u mieruka-*)', '確認対象が応答しません: 上のメッセージとログ（journalctl -u mieruka-*）を見てください'),
        ),
      );
    }, limit);
  });
  try {
    return await Promise.race([
      check.run(ctx, abort.signal).catch((err: unknown) =>
        fail(text(`the check itself failed: ${reason(err)}`, `チェック自体が失敗しました: ${reason(err)}`), text('report this with the output of mieruka doctor --json', 'mieruka doctor --json の出力を添えて報告してください')),
      ),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function runDoctor(ctx: DoctorContext, only?: readonly string[]): Promise<DoctorRun> {
  const wanted = (id: string) => only === undefined || only.includes(id);
  const source = ctx.source;
  const outcomes: DoctorOutcome[] = [];
  // The config's verdict is shown whenever it failed: it is why the others skip.
  if (wanted('config') || !source.ok) outcomes.push({ id: 'config', title: CONFIG_TITLE, ...configOutcome(source) });
  const checks = CHECKS.filter((c) => wanted(c.id));
  if (!source.ok) {
    for (const c of checks) outcomes.push({ id: c.id, title: c.title, ...skip(text('the config could not be loaded', '設定を読み込めませんでした')) });
  } else {
    const configured = { ...ctx, config: source.config, configFile: source.file };
    const results = await Promise.all(checks.map((c) => runCheck(c, configured)));
    checks.forEach((c, i) => outcomes.push({ id: c.id, title: c.title, ...(results[i] as CheckOutcome) }));
  }
  const exitCode = !source.ok && source.code === 'CONFIG_UNREADABLE' ? 2 : outcomes.some((o) => o.status === 'fail') ? 1 : 0;
  return { outcomes, exitCode };
}

export function summarize(outcomes: readonly { status: CheckStatus }[]): Record<CheckStatus, number> {
  const summary: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0, skip: 0 };
  for (const o of outcomes) summary[o.status]++;
  return summary;
}
