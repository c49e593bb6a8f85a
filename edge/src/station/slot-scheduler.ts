/**
 * When the station's slots fire. Real: croner, one daily job per "HH:MM" in the station's
 * time zone; tests use ManualSlotScheduler and fire slots themselves (no waiting for clocks).
 */
import { Cron } from 'croner';

export interface SlotScheduler {
  /** Calls `fire` every day at `slot` ("HH:MM") in `timeZone`; returns the cancel function. */
  daily(slot: string, timeZone: string, fire: () => void): () => void;
}

export class CronSlotScheduler implements SlotScheduler {
  daily(slot: string, timeZone: string, fire: () => void): () => void {
    const [hh, mm] = slot.split(':');
    // protect: a shot still running when the next slot comes is not started twice.
    const job = new Cron(`0 ${Number(mm)} ${Number(hh)} * * *`, { timezone: timeZone, protect: true }, fire);
    return () => job.stop();
  }

  /** Next run of a slot (for logs and `--once` output). */
  static nextRun(slot: string, timeZone: string): Date | null {
    const [hh, mm] = slot.split(':');
    const job = new Cron(`0 ${Number(mm)} ${Number(hh)} * * *`, { timezone: timeZone, paused: true });
    const next = job.nextRun();
    job.stop();
    return next;
  }
}

export class ManualSlotScheduler implements SlotScheduler {
  private readonly jobs = new Map<string, Set<() => void>>();

  daily(slot: string, _timeZone: string, fire: () => void): () => void {
    const set = this.jobs.get(slot) ?? new Set();
    set.add(fire);
    this.jobs.set(slot, set);
    return () => set.delete(fire);
  }

  /** Fires a slot as if its time had come; returns how many jobs ran. */
  fire(slot: string): number {
    const set = this.jobs.get(slot);
    for (const f of set ?? []) f();
    return set?.size ?? 0;
  }

  get scheduledSlots(): string[] {
    return [...this.jobs].filter(([, s]) => s.size > 0).map(([k]) => k);
  }
}
