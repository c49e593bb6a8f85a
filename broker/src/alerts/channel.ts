/**
 * An alert channel delivers alarm notices to people: mail, a PATLITE signal tower, a webhook.
 * The alarm engine (alerts/alarms) calls `deliver` and never waits on a slow channel for
 * another: each channel queues, retries with back-off and reports its health via `status()`.
 */
import type { AlarmItem, AlarmSeverity } from '@mieruka/protocol';
import type { Config } from '@mieruka/protocol';

export type { AlarmSeverity };

/** What a channel needs of an alarm: the dashboard's AlarmItem without its bookkeeping. */
export type AlarmView = Omit<AlarmItem, 'acknowledgedAt' | 'occurrences' | 'lastRaisedAt' | 'escalated'>;

export type AlarmNotice = {
  kind: 'raised' | 'reminder' | 'escalated' | 'acknowledged' | 'cleared';
  alarm: AlarmView;
  /** Signed, expiring acknowledge link (mail); absent for channels that cannot use it. */
  ackUrl?: string;
  /** When ackUrl stops working (epoch ms), for the mail text. */
  ackExpiresAt?: number;
  dashboardUrl?: string;
  /** Escalation level: 0 first recipients, 1 the escalation list, … */
  level?: number;
};

export type ChannelStatus = { ok: boolean; detail?: string; pending?: number };

export interface AlertChannel {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Accepts the notice (queued); resolves quickly, never throws for delivery failures. */
  deliver(notice: AlarmNotice): Promise<void>;
  status(): ChannelStatus;
  /** Takes new runtime settings (recipients, names) without a restart; channels without such settings omit it. */
  reconfigure?(config: Readonly<Config>): void;
}
