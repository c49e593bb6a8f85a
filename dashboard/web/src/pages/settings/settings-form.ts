/**
 * The settings editor's plumbing: immutable updates by path, issues indexed by path (from the
 * server, and the client's own hints for obvious mistakes), and readable labels for paths.
 */
import { t, type MessageKey } from '../../i18n/index.js';
import type { RuntimeSettings } from '../../types.js';

export type Path = ReadonlyArray<string | number>;
export type Issue = { path: Array<string | number>; message: string };
/** `a.b.0` → messages for exactly that path. */
export type IssueIndex = ReadonlyMap<string, readonly string[]>;

export const pathKey = (path: Path): string => path.join('.');

export function indexIssues(issues: readonly Issue[]): IssueIndex {
  const out = new Map<string, string[]>();
  for (const i of issues) {
    const key = pathKey(i.path);
    out.set(key, [...(out.get(key) ?? []), i.message]);
  }
  return out;
}

/** Messages at `path` or below it (a recipient row shows the problems of its address too). */
export function issuesUnder(index: IssueIndex, path: Path): string[] {
  const key = pathKey(path);
  const out: string[] = [];
  for (const [k, messages] of index) if (k === key || k.startsWith(`${key}.`)) out.push(...messages);
  return out;
}

/** A copy of `root` with the value at `path` replaced (objects and arrays copied along the way). */
export function setIn<T>(root: T, path: Path, value: unknown): T {
  if (path.length === 0) return value as T;
  const [head, ...rest] = path as [string | number, ...Array<string | number>];
  const container = root as unknown as Record<string | number, unknown>;
  const copy = (Array.isArray(root) ? [...root] : { ...container }) as Record<string | number, unknown>;
  copy[head] = setIn(container[head], rest, value);
  return copy as T;
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
// The server's check (zod's e-mail) is the judge; this only catches typos early.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const SHIFT_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export const recipientAddress = (r: RuntimeSettings['recipients']['default'][number]): string => (typeof r === 'string' ? r : r.address);

/** Hints shown while editing; they never block a save (the server decides). */
export function clientChecks(s: RuntimeSettings): Issue[] {
  const out: Issue[] = [];
  const need = (ok: boolean, path: Array<string | number>, key: MessageKey) => {
    if (!ok) out.push({ path, message: t(key) });
  };
  for (const [id, m] of Object.entries(s.machines)) {
    for (const f of ['offBelowA', 'runningAboveA', 'hysteresisA', 'minDwellS'] as const) need(Number.isFinite(m[f]), ['machines', id, f], 'settings_checkNumber');
    if (Number.isFinite(m.offBelowA) && Number.isFinite(m.runningAboveA)) need(m.runningAboveA > m.offBelowA, ['machines', id, 'runningAboveA'], 'settings_checkRunningAbove');
  }
  for (const [id, st] of Object.entries(s.stations)) st.slots.forEach((slot, i) => need(HHMM.test(slot), ['stations', id, 'slots', i], 'settings_checkTime'));
  s.shifts.forEach((sh, i) => {
    need(SHIFT_NAME.test(sh.name), ['shifts', i, 'name'], 'settings_checkShiftName');
    need(HHMM.test(sh.start), ['shifts', i, 'start'], 'settings_checkTime');
    need(HHMM.test(sh.end), ['shifts', i, 'end'], 'settings_checkTime');
  });
  if (s.quietHours) {
    need(HHMM.test(s.quietHours.start), ['quietHours', 'start'], 'settings_checkTime');
    need(HHMM.test(s.quietHours.end), ['quietHours', 'end'], 'settings_checkTime');
  }
  for (const list of ['default', 'escalation'] as const) {
    s.recipients[list].forEach((r, i) => need(EMAIL.test(recipientAddress(r)), ['recipients', list, i], 'settings_checkEmail'));
  }
  need(Number.isFinite(s.recipients.escalateAfterMin), ['recipients', 'escalateAfterMin'], 'settings_checkNumber');
  need(Number.isFinite(s.recipients.remindEveryMin), ['recipients', 'remindEveryMin'], 'settings_checkNumber');
  (s.downtimeReasons ?? []).forEach((r, i) => {
    need(SHIFT_NAME.test(r.code), ['downtimeReasons', i, 'code'], 'settings_checkShiftName');
    need(r.ja.trim() !== '', ['downtimeReasons', i, 'ja'], 'settings_checkText');
    need(r.en.trim() !== '', ['downtimeReasons', i, 'en'], 'settings_checkText');
  });
  return out;
}

const SECTION: Record<string, MessageKey> = {
  machines: 'settings_machines',
  stations: 'settings_stations',
  shifts: 'settings_shifts',
  quietHours: 'settings_quiet',
  recipients: 'settings_recipients',
  rules: 'settings_rules',
  ingest: 'settings_ingest',
  downtimeReasons: 'settings_downtimeReasons',
};
const FIELD: Record<string, MessageKey> = {
  name: 'settings_name',
  offBelowA: 'settings_offBelowA',
  runningAboveA: 'settings_runningAboveA',
  hysteresisA: 'settings_hysteresisA',
  minDwellS: 'settings_minDwellS',
  start: 'settings_start',
  end: 'settings_end',
  days: 'settings_days',
  default: 'settings_recipientsDefault',
  escalation: 'settings_recipientsEscalation',
  escalateAfterMin: 'settings_escalateAfterMin',
  remindEveryMin: 'settings_remindEveryMin',
  machineStopped: 'settings_rule_machineStopped',
  jobFinished: 'settings_rule_jobFinished',
  runningLong: 'settings_rule_runningLong',
  idleLong: 'settings_rule_idleLong',
  sensorOffline: 'settings_rule_sensorOffline',
  sensorFault: 'settings_rule_sensorFault',
  clutterHigh: 'settings_rule_clutterHigh',
  enabled: 'settings_enabled',
  severity: 'settings_severity',
  autoJoin: 'settings_autoJoin',
  code: 'settings_reasonCode',
  ja: 'settings_reasonJa',
  en: 'settings_reasonEn',
  category: 'settings_reasonCategory',
};

/** `['machines','lathe-1','runningAboveA']` → "機械のしきい値 › lathe-1 › 稼働判定 (超)". */
export function pathLabel(path: Path): string {
  return path
    .map((p, i) => {
      if (typeof p === 'number') return `#${p + 1}`;
      const key = i === 0 ? SECTION[p] : FIELD[p];
      return key ? t(key) : p;
    })
    .join(' › ');
}
