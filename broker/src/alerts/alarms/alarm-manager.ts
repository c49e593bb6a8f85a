/**
 * The alarm lifecycle, over the store. At most one active alarm per source (site, node) and
 * type. An alarm is active or cleared, and acknowledged or not:
 *
 * - raise: a new alarm, or — while one is active — nothing new (a condition that keeps
 *   holding); if its clear was pending, the condition came back: the pending clear is dropped
 *   and `occurrences` counts up. This is what turns a flapping machine into ONE alarm.
 * - resolve: the condition ended; the alarm clears after the rule's clearAfterMs unless it
 *   comes back before (at once when clearAfterMs is 0).
 * - acknowledge: from the dashboard or a mail link; stops reminders and escalation.
 *
 * Notifications: `raised` once, then `reminder` every remindEveryMs and one `escalated` after
 * escalateAfterMs while active and unacknowledged (not for `info` alarms). In quiet hours they
 * wait; an alarm that cleared before anyone was told is never announced. `acknowledged` and
 * `cleared` go out only for alarms that were announced. Everything is synchronous: each change
 * and its history row are one transaction, and the schedule lives in the table, so a restart
 * carries on where it stopped.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AlarmAckResult, AlarmChangeKind, AlarmItem, AlarmQuery, AlarmSeverity } from '@mieruka/protocol';
import type { AlarmNotice } from '../channel.js';
import { toItem, type AlarmPatch, type AlarmRecord, type AlarmStore } from './alarm-store.js';

export type AlarmKey = { site: string; node: string; type: string };

export type RaiseInput = AlarmKey & {
  severity: AlarmSeverity;
  message: { ja: string; en: string };
  /** When the condition began (clamped to now). */
  at: number;
  details?: Record<string, unknown>;
  clearAfterMs: number;
};

export type NotifyPolicy = {
  /** 0: no reminders. */
  remindEveryMs: number;
  /** null: nobody to escalate to. */
  escalateAfterMs: number | null;
  isQuiet(t: number): boolean;
};

export type NoticeKind = AlarmNotice['kind'];

export type AlarmManagerOptions = {
  store: AlarmStore;
  policy: NotifyPolicy;
  logger: Logger;
  now?: () => number;
  newId?: () => string;
  /** Every visible change (live feed). */
  onChange?: (change: AlarmChangeKind, alarm: AlarmItem) => void;
  /** Every notification to deliver through the channels. */
  onNotice?: (kind: NoticeKind, alarm: AlarmItem, level: number) => void;
};

const keyOf = (k: AlarmKey) => `${k.site}\u0000${k.node}\u0000${k.type}`;

export class AlarmManager {
  private readonly store: AlarmStore;
  private policy: NotifyPolicy;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly onChange: NonNullable<AlarmManagerOptions['onChange']>;
  private readonly onNotice: NonNullable<AlarmManagerOptions['onNotice']>;
  /** Active alarm id per key, so the many "still fine" verdicts cost no query. */
  private readonly activeIds = new Map<string, string>();

  /** New reminder/escalation timing (runtime settings); alarms already scheduled keep their next time. */
  setPolicy(policy: NotifyPolicy): void {
    this.policy = policy;
  }

  constructor(options: AlarmManagerOptions) {
    this.store = options.store;
    this.policy = options.policy;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? randomUUID;
    this.onChange = options.onChange ?? (() => undefined);
    this.onNotice = options.onNotice ?? (() => undefined);
  }

  /** Loads the active alarms (call once the database is open). */
  load(): void {
    this.activeIds.clear();
    for (const a of this.store.active()) this.activeIds.set(keyOf(a), a.id);
  }

  get(id: string): AlarmItem | null {
    const a = this.store.get(id);
    return a ? toItem(a) : null;
  }

  record(id: string): AlarmRecord | null {
    return this.store.get(id);
  }

  active(): AlarmItem[] {
    return this.store.active().map(toItem);
  }

  list(query: AlarmQuery): AlarmItem[] {
    return this.store.list(query).map(toItem);
  }

  isActive(key: AlarmKey): boolean {
    return this.activeIds.has(keyOf(key));
  }

  raise(input: RaiseInput): AlarmItem {
    const now = this.now();
    const key = keyOf(input);
    const id = this.activeIds.get(key);
    const existing = id ? this.store.get(id) : null;
    if (existing?.active) return this.raiseAgain(existing, input, now);

    const alarm = this.store.transaction(() => {
      const a = this.store.insert({
        id: this.newId(),
        site: input.site,
        node: input.node,
        type: input.type,
        severity: input.severity,
        message: input.message,
        details: input.details ?? {},
        activeSince: Math.min(input.at, now),
        clearAfterMs: Math.max(0, input.clearAfterMs),
        now,
      });
      this.store.addEvent(a.id, now, 'raised', null, { severity: a.severity, message: a.message, details: a.details });
      return a;
    });
    this.activeIds.set(key, alarm.id);
    this.logger.info({ alarm: alarm.id, site: alarm.site, node: alarm.node, type: alarm.type, severity: alarm.severity }, 'alarm raised');
    this.emit('raised', alarm);
    this.notifyDue(alarm, now);
    return toItem(this.store.get(alarm.id) ?? alarm);
  }

  private raiseAgain(a: AlarmRecord, input: RaiseInput, now: number): AlarmItem {
    const patch: AlarmPatch = {};
    const messageChanged = a.message.ja !== input.message.ja || a.message.en !== input.message.en;
    if (messageChanged) {
      patch.message = input.message;
      patch.details = input.details ?? {};
    }
    if (a.severity !== input.severity) patch.severity = input.severity;
    const cameBack = a.clearPendingSince !== null;
    if (cameBack) {
      patch.clearPendingSince = null;
      patch.occurrences = a.occurrences + 1;
      patch.lastRaisedAt = now;
    }
    if (Object.keys(patch).length === 0) return toItem(a);
    const updated = this.store.transaction(() => {
      const u = this.store.update(a.id, patch, now);
      if (cameBack) this.store.addEvent(a.id, now, 'reoccurred', null, { occurrences: u.occurrences });
      else this.store.addEvent(a.id, now, 'updated', null, { severity: u.severity, message: u.message });
      return u;
    });
    this.emit('updated', updated);
    return toItem(updated);
  }

  /** The condition ended: the alarm clears now or after its hold, unless raised again. */
  resolve(key: AlarmKey): void {
    const id = this.activeIds.get(keyOf(key));
    if (!id) return;
    const a = this.store.get(id);
    if (!a?.active) {
      this.activeIds.delete(keyOf(key));
      return;
    }
    if (a.clearPendingSince !== null) return;
    const now = this.now();
    if (a.clearAfterMs === 0) {
      this.clear({ ...a, clearPendingSince: now }, now);
      return;
    }
    this.store.update(a.id, { clearPendingSince: now }, now);
  }

  acknowledge(id: string, by: string): AlarmAckResult {
    const a = this.store.get(id);
    if (!a) return { outcome: 'not_found', alarm: null };
    if (a.acknowledged) return { outcome: 'already', alarm: toItem(a) };
    const now = this.now();
    const updated = this.store.transaction(() => {
      const u = this.store.update(a.id, { acknowledged: true, acknowledgedBy: by, acknowledgedAt: now, nextNotifyAt: null, escalateAt: null }, now);
      this.store.addEvent(a.id, now, 'acknowledged', by);
      return u;
    });
    this.logger.info({ alarm: id, by }, 'alarm acknowledged');
    this.emit('acknowledged', updated);
    if (updated.notifiedLevel >= 0) this.notice('acknowledged', updated, updated.notifiedLevel);
    return { outcome: 'acknowledged', alarm: toItem(updated) };
  }

  /** Due clears, deferred first notices, escalations and reminders. */
  tick(): void {
    const now = this.now();
    for (const a of this.store.due(now)) {
      try {
        if (a.clearPendingSince !== null) {
          if (a.clearPendingSince + a.clearAfterMs <= now) this.clear(a, now);
          // While a clear is pending the condition is gone: nobody is told about it.
          continue;
        }
        if (!a.acknowledged) this.notifyDue(a, now);
      } catch (err) {
        this.logger.error({ err, alarm: a.id }, 'alarm tick failed');
      }
    }
  }

  private clear(a: AlarmRecord, now: number): void {
    const clearedAt = a.clearPendingSince ?? now;
    const updated = this.store.transaction(() => {
      const u = this.store.update(a.id, { active: false, clearedAt, clearPendingSince: null, nextNotifyAt: null, escalateAt: null }, now);
      this.store.addEvent(a.id, now, 'cleared', null, { clearedAt });
      return u;
    });
    this.activeIds.delete(keyOf(a));
    this.logger.info({ alarm: a.id, site: a.site, node: a.node, type: a.type }, 'alarm cleared');
    this.emit('cleared', updated);
    if (updated.notifiedLevel >= 0) this.notice('cleared', updated, updated.notifiedLevel);
  }

  private notifyDue(a: AlarmRecord, now: number): void {
    if (!a.active || a.acknowledged || a.clearPendingSince !== null) return;
    if (this.policy.isQuiet(now)) return;
    const nags = a.severity !== 'info';
    const remindAt = nags && this.policy.remindEveryMs > 0 ? now + this.policy.remindEveryMs : null;
    let kind: NoticeKind;
    let patch: AlarmPatch;
    if (a.notifiedLevel < 0) {
      kind = 'raised';
      const escalateAt = nags && this.policy.escalateAfterMs !== null ? now + this.policy.escalateAfterMs : null;
      patch = { notifiedLevel: 0, nextNotifyAt: remindAt, escalateAt };
    } else if (a.escalateAt !== null && a.escalateAt <= now) {
      kind = 'escalated';
      patch = { notifiedLevel: Math.max(1, a.notifiedLevel), nextNotifyAt: remindAt, escalateAt: null };
    } else if (a.nextNotifyAt !== null && a.nextNotifyAt <= now) {
      kind = 'reminder';
      patch = { nextNotifyAt: remindAt };
    } else {
      return;
    }
    const updated = this.store.transaction(() => {
      const u = this.store.update(a.id, patch, now);
      this.store.addEvent(a.id, now, 'notified', null, { kind, level: u.notifiedLevel });
      return u;
    });
    this.notice(kind, updated, kind === 'reminder' ? updated.notifiedLevel : kind === 'escalated' ? 1 : 0);
  }

  private emit(change: AlarmChangeKind, a: AlarmRecord): void {
    try {
      this.onChange(change, toItem(a));
    } catch (err) {
      this.logger.warn({ err }, 'alarm change listener threw');
    }
  }

  private notice(kind: NoticeKind, a: AlarmRecord, level: number): void {
    try {
      this.onNotice(kind, toItem(a), level);
    } catch (err) {
      this.logger.warn({ err }, 'alarm notice listener threw');
    }
  }
}
