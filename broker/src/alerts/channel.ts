/**
 * An alert channel delivers alarm notices to people: mail, a PATLITE signal tower, a webhook.
 * The alarm engine (alerts/alarms) calls `deliver` and never waits on a slow channel for
 * another: each channel queues, retries with back-off and reports its health via `status()`.
 */
export type AlarmSeverity = 'critical' | 'major' | 'minor' | 'warning' | 'info';

export type AlarmView = {
  id: string;
  site: string;
  /** Machine or station id; `hub` for hub-level alarms (e.g. a broken alert channel). */
  node: string;
  /** Rule type, e.g. `machine_stopped`, `job_finished`, `sensor_offline`, `clutter_high`, `channel_broken`. */
  type: string;
  severity: AlarmSeverity;
  /** Human text in both UI languages. */
  message: { ja: string; en: string };
  activeSince: number;
  active: boolean;
  acknowledged: boolean;
  acknowledgedBy?: string;
  clearedAt?: number;
};

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
}
