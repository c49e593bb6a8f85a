/**
 * The doctor's report: a list with ✓ ! ✗ – marks, then what to do, then the counts; or JSON
 * ({checks, summary}) for scripts. Texts in the chosen language.
 */
import type { CheckStatus, Lang } from './check.js';
import { summarize, type DoctorOutcome } from './run-doctor.js';

const MARK: Record<CheckStatus, string> = { ok: '✓', warn: '!', fail: '✗', skip: '-' };
const WORD: Record<Lang, Record<CheckStatus, string>> = {
  en: { ok: 'ok', warn: 'warn', fail: 'FAIL', skip: 'skip' },
  ja: { ok: '正常', warn: '注意', fail: '異常', skip: '省略' },
};

/** ja when LC_ALL (else LANG) starts with "ja", else en. */
export function langFromEnv(env: Record<string, string | undefined>): Lang {
  const locale = env.LC_ALL || env.LANG || '';
  return locale.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

export type JsonCheck = { id: string; status: CheckStatus; message: string; fix?: string };

export function reportJson(outcomes: readonly DoctorOutcome[], lang: Lang): { checks: JsonCheck[]; summary: Record<CheckStatus, number> } {
  return {
    checks: outcomes.map((o) => ({ id: o.id, status: o.status, message: o.message[lang], ...(o.fix ? { fix: o.fix[lang] } : {}) })),
    summary: summarize(outcomes),
  };
}

export function reportText(outcomes: readonly DoctorOutcome[], lang: Lang, configFile: string | undefined): string[] {
  const width = Math.max(...outcomes.map((o) => o.id.length));
  const lines = [lang === 'ja' ? `mieruka doctor — 設定: ${configFile ?? '(ファイルなし)'}` : `mieruka doctor — config: ${configFile ?? '(no file)'}`, ''];
  for (const o of outcomes) lines.push(`${MARK[o.status]} ${o.id.padEnd(width)}  ${WORD[lang][o.status].padEnd(4)}  ${o.message[lang]}`);
  const todo = outcomes.filter((o) => o.fix && (o.status === 'warn' || o.status === 'fail'));
  if (todo.length > 0) {
    lines.push('', lang === 'ja' ? '対処:' : 'What to do:');
    for (const o of todo) lines.push(`${MARK[o.status]} ${o.id}: ${o.fix?.[lang] ?? ''}`);
  }
  const s = summarize(outcomes);
  const counts = (['ok', 'warn', 'fail', 'skip'] as const).map((k) => `${WORD[lang][k]} ${s[k]}`).join(', ');
  lines.push('', lang === 'ja' ? `結果: ${counts}` : `Summary: ${counts}`);
  return lines;
}
