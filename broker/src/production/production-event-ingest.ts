/**
 * Production events (protocol/src/production-events.ts) at the hub: their shape is checked at
 * ingest (an event type the contract names must match its schema; other types stay free-form),
 * and the new ones also become rows the production figures read (docs/oee.md):
 * - `cycle` → one row in `cycles` (a resend with the same seq stays one row);
 * - `quality` (a good/scrap push button at the machine) → one instant row in `quality_entries`.
 * The rows are written in the same transaction as the event row, and only when that row is new,
 * so a store-and-forward resend adds nothing and a QoS 1 acknowledgement covers them too.
 */
import { formatZodError, productionEventSchemas, type CycleEvent, type QualityCountEvent } from '@mieruka/protocol';
import type { RowObserver, StoreRow } from '../store/rows.js';
import type { SqlQueries } from '../store/sql/sql-store.js';

type ProductionType = keyof typeof productionEventSchemas;

function isProductionType(type: string): type is ProductionType {
  return Object.hasOwn(productionEventSchemas, type);
}

/**
 * Null when `payload` (an event that passed the generic event schema) is fine; else why not,
 * naming the event type, e.g. "cycle event: durationS: …".
 */
export function productionEventProblem(payload: { type: string } & Record<string, unknown>): string | null {
  if (!isProductionType(payload.type)) return null;
  const result = productionEventSchemas[payload.type].safeParse(payload);
  return result.success ? null : `${payload.type} event: ${formatZodError(result.error)}`;
}

type EventRow = Extract<StoreRow, { kind: 'event' }>;

const CYCLE_SQL = 'INSERT INTO cycles (site, node, seq, start_ts, end_ts, duration_ms, peak_a, mean_a, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING';
const QUALITY_SQL = `INSERT INTO quality_entries (site, node, start_ts, end_ts, good, scrap, startup_scrap, source, entered_by, entered_at, note)
  VALUES (?, ?, ?, ?, ?, ?, 0, 'button', ?, ?, NULL)`;

/** Writes the production rows of newly stored events. */
export class ProductionEventRows implements RowObserver {
  stored(tx: SqlQueries, row: StoreRow, inserted: boolean): Promise<void> | void {
    if (inserted && row.kind === 'event') return this.eventStored(tx, row);
  }

  batchEnd(): void {}

  rolledBack(): void {}

  /** `r` was just inserted into `events` (not a duplicate); its data passed the production schema at ingest. */
  private async eventStored(tx: SqlQueries, r: EventRow): Promise<void> {
    if (r.type === 'cycle') {
      const d = r.data as Omit<CycleEvent, 'ts' | 'seq' | 'type'>;
      await tx.run(CYCLE_SQL, [r.site, r.node, r.seq, d.startTs, r.ts, Math.round(d.durationS * 1000), d.peakA, d.meanA, r.receivedAt]);
    } else if (r.type === 'quality') {
      const d = r.data as Omit<QualityCountEvent, 'ts' | 'seq' | 'type'>;
      // The press has no operator login: the machine's node id says where it came from.
      await tx.run(QUALITY_SQL, [r.site, r.node, r.ts, r.ts, d.good, d.scrap, r.node, r.receivedAt]);
    }
  }
}
