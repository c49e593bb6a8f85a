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
 * `cleared` go out only for alarms that were announced. Each change and its history row are one
 * transaction, and the schedule lives in the table, so a restart carries on where it stopped.
 *
 * The store is asynchronous (SQLite or PostgreSQL through SqlStore), the rules are not: every
 * operation, reads included, runs in one queue, in the order it was asked for. So a raise and
 * the resolve right after it for one machine land in that order, a list sees every change
 * asked for before it, and `idle()` (what stop() awaits) means nothing is still being written.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AlarmAckResult, AlarmChangeKind, AlarmItem, AlarmQuery, AlarmSeverity } from '@mieruka/protocol';
import type { AlarmNotice } from '../channel.js';
import { sqlErrorKind } from '../../store/sql/sql-store.js';
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
  /** Every notification to deliver through the channels (`details`: the rule's, e.g. which channels broke). */
  onNotice?: (kind: NoticeKind, alarm: AlarmItem, level: number, details: Record<string, unknown>) => void;
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
  /** Active alarm id and severity per key, so the many "still fine" verdicts cost no query (and counts need none). */
  private readonly activeIds = new Map<string, { id: string; severity: AlarmSeverity }>();
  /** Operations asked for and not yet settled. */
  private queued = 0;
  /** Settles when every operation asked for so far has run. */
  private queue: Promise<void> = Promise.resolve();

  /**
   * For the rules: raise and resolve without waiting (they run in order in the queue). A write
   * that fails is logged; the rule's next verdict asks again.
   */
  readonly sink = {
    raise: (input: RaiseInput): void => {
      this.raise(input).catch((err: unknown) => this.logger.error({ err, site: input.site, node: input.node, type: input.type }, 'alarm raise failed'));
    },
    resolve: (key: AlarmKey): void => {
      if (this.mayResolve(key)) this.resolve(key).catch((err: unknown) => this.logger.error({ err, site: key.site, node: key.node, type: key.type }, 'alarm resolve failed'));
    },
  };

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

  /** Runs `op` after everything asked for before it; its result (or error) goes to the caller only. */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    this.queued += 1;
    const result = this.queue.then(op);
    const done = () => void (this.queued -= 1);
    this.queue = result.then(done, done);
    return result;
  }

  /**
   * Whether resolving the key could change anything: an alarm of it is active, or an operation
   * that could raise one has not run yet. The rules resolve on nearly every message; most of the
   * time there is nothing to do, and no queue entry (a few promises each) is spent on it.
   */
  private mayResolve(key: AlarmKey): boolean {
    return this.queued > 0 || this.activeIds.has(keyOf(key));
  }

  /** Settles once every operation asked for so far (and any they queued) has run. */
  async idle(): Promise<void> {
    for (;;) {
      const queue = this.queue;
      await queue;
      if (queue === this.queue) return;
    }
  }

  /** Loads the active alarms (call once the database is open). */
  load(): Promise<void> {
    return this.serial(async () => {
      const active = await this.store.active();
      this.activeIds.clear();
      for (const a of active) this.activeIds.set(keyOf(a), { id: a.id, severity: a.severity });
    });
  }

  get(id: string): Promise<AlarmItem | null> {
    return this.serial(async () => {
      const a = await this.store.get(id);
      return a ? toItem(a) : null;
    });
  }

  active(): Promise<AlarmItem[]> {
    return this.serial(async () => (await this.store.active()).map(toItem));
  }

  list(query: AlarmQuery): Promise<AlarmItem[]> {
    return this.serial(async () => (await this.store.list(query)).map(toItem));
  }

  /** Whether the key has an active alarm, as of the operations that have run. */
  isActive(key: AlarmKey): boolean {
    return this.activeIds.has(keyOf(key));
  }

  /** Active alarms per severity, as of the operations that have run (no query: metrics ask often). */
  activeBySeverity(): Partial<Record<AlarmSeverity, number>> {
    const counts: Partial<Record<AlarmSeverity, number>> = {};
    for (const { severity } of this.activeIds.values()) counts[severity] = (counts[severity] ?? 0) + 1;
    return counts;
  }

  // Each operation takes the time it was asked at, not when its turn in the queue comes (the
  // demo's history moves its clock between messages).
  raise(input: RaiseInput): Promise<AlarmItem> {
    const now = this.now();
    return this.serial(() => this.raiseNow(input, now));
  }

  private async raiseNow(input: RaiseInput, now: number): Promise<AlarmItem> {
    const key = keyOf(input);
    const id = this.activeIds.get(key)?.id;
    const existing = id ? await this.store.get(id) : null;
    if (existing?.active) return this.raiseAgain(existing, input, now);

    let alarm: AlarmRecord;
    try {
      alarm = await this.insert(input, now);
    } catch (err) {
      if (sqlErrorKind(err) !== 'unique') throw err;
      // The database already holds an active alarm for this key (written by another hub on the
      // same PostgreSQL, or after our map was loaded): it is the same condition, not a new alarm.
      const other = await this.store.activeFor(input);
      if (!other) throw err;
      this.activeIds.set(key, { id: other.id, severity: other.severity });
      return this.raiseAgain(other, input, now);
    }
    this.activeIds.set(key, { id: alarm.id, severity: alarm.severity });
    this.logger.info({ alarm: alarm.id, site: alarm.site, node: alarm.node, type: alarm.type, severity: alarm.severity }, 'alarm raised');
    this.emit('raised', alarm);
    await this.notifyDue(alarm, now);
    return toItem((await this.store.get(alarm.id)) ?? alarm);
  }

  private insert(input: RaiseInput, now: number): Promise<AlarmRecord> {
    return this.store.transaction(async (tx) => {
      const a = await tx.insert({
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
      await tx.addEvent(a.id, now, 'raised', null, { severity: a.severity, message: a.message, details: a.details });
      return a;
    });
  }

  private async raiseAgain(a: AlarmRecord, input: RaiseInput, now: number): Promise<AlarmItem> {
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
    const updated = await this.store.transaction(async (tx) => {
      const u = await tx.update(a.id, patch, now);
      if (cameBack) await tx.addEvent(a.id, now, 'reoccurred', null, { occurrences: u.occurrences });
      else await tx.addEvent(a.id, now, 'updated', null, { severity: u.severity, message: u.message });
      return u;
    });
    this.activeIds.set(keyOf(updated), { id: updated.id, severity: updated.severity });
    this.emit('updated', updated);
    return toItem(updated);
  }

  /** The condition ended: the alarm clears now or after its hold, unless raised again. */
  resolve(key: AlarmKey): Promise<void> {
    // Queued even when nothing is active now if a raise asked for just before may not have run yet.
    if (!this.mayResolve(key)) return Promise.resolve();
    const now = this.now();
    return this.serial(() => this.resolveNow(key, now));
  }

  private async resolveNow(key: AlarmKey, now: number): Promise<void> {
    const id = this.activeIds.get(keyOf(key))?.id;
    if (!id) return;
    const a = await this.store.get(id);
    if (!a?.active) {
      this.activeIds.delete(keyOf(key));
      return;
    }
    if (a.clearPendingSince !== null) return;
    if (a.clearAfterMs === 0) {
      await this.clear({ ...a, clearPendingSince: now }, now);
      return;
    }
    await this.store.update(a.id, { clearPendingSince: now }, now);
  }

  acknowledge(id: string, by: string): Promise<AlarmAckResult> {
    const now = this.now();
    return this.serial(() => this.acknowledgeNow(id, by, now));
  }

  private async acknowledgeNow(id: string, by: string, now: number): Promise<AlarmAckResult> {
    const a = await this.store.get(id);
    if (!a) return { outcome: 'not_found', alarm: null };
    if (a.acknowledged) return { outcome: 'already', alarm: toItem(a) };
    const updated = await this.store.transaction(async (tx) => {
      const u = await tx.update(a.id, { acknowledged: true, acknowledgedBy: by, acknowledgedAt: now, nextNotifyAt: null, escalateAt: null }, now);
      await tx.addEvent(a.id, now, 'acknowledged', by);
      return u;
    });
    this.logger.info({ alarm: id, by }, 'alarm acknowledged');
    this.emit('acknowledged', updated);
    if (updated.notifiedLevel >= 0) this.notice('acknowledged', updated, updated.notifiedLevel);
    return { outcome: 'acknowledged', alarm: toItem(updated) };
  }

  /** Due clears, deferred first notices, escalations and reminders. */
  tick(): Promise<void> {
    const now = this.now();
    return this.serial(() => this.tickNow(now));
  }

  private async tickNow(now: number): Promise<void> {
    for (const a of await this.store.due(now)) {
      try {
        if (a.clearPendingSince !== null) {
          if (a.clearPendingSince + a.clearAfterMs <= now) await this.clear(a, now);
          // While a clear is pending the condition is gone: nobody is told about it.
          continue;
        }
        if (!a.acknowledged) await this.notifyDue(a, now);
      } catch (err) {
        this.logger.error({ err, alarm: a.id }, 'alarm tick failed');
      }
    }
  }

  private async clear(a: AlarmRecord, now: number): Promise<void> {
    const clearedAt = a.clearPendingSince ?? now;
    const updated = await this.store.transaction(async (tx) => {
      const u = await tx.update(a.id, { active: false, clearedAt, clearPendingSince: null, nextNotifyAt: null, escalateAt: null }, now);
      await tx.addEvent(a.id, now, 'cleared', null, { clearedAt });
      return u;
    });
    this.activeIds.delete(keyOf(a));
    this.logger.info({ alarm: a.id, site: a.site, node: a.node, type: a.type }, 'alarm cleared');
    this.emit('cleared', updated);
    if (updated.notifiedLevel >= 0) this.notice('cleared', updated, updated.notifiedLevel);
  }

  private async notifyDue(a: AlarmRecord, now: number): Promise<void> {
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
    const updated = await this.store.transaction(async (tx) => {
      const u = await tx.update(a.id, patch, now);
      await tx.addEvent(a.id, now, 'notified', null, { kind, level: u.notifiedLevel });
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
      this.onNotice(kind, toItem(a), level, a.details);
    } catch (err) {
      this.logger.warn({ err }, 'alarm notice listener threw');
    }
  }
}
