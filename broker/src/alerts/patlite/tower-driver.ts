/**
 * How a PatliteChannel reaches its tower. Every call is one bounded attempt that resolves when
 * the tower (or the broker, for relay towers) accepted it and rejects with a coded
 * MierukaError otherwise; the channel retries.
 */
import type { TowerSignal } from './tower-signal.js';

export interface TowerDriver {
  /** For status details and logs, e.g. `PNS 192.168.10.1:10000 (NH)`; never a secret. */
  readonly description: string;
  /** Shows `signal`; `holdS` is how long it may stay lit (relay towers enforce it themselves). */
  show(signal: TowerSignal, holdS: number): Promise<void>;
  clear(): Promise<void>;
  /** A cheap health check (PNS: the G status request). */
  probe(): Promise<void>;
  /** Drops anything in flight. */
  close(): void;
}
