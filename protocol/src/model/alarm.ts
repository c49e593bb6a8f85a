/** Alarms: severities (one list, highest first), the alarm as everyone shows it, queries and results. */

/** Every alarm severity, highest first. Config schemas, the tower and the UI derive theirs from this. */
export const ALARM_SEVERITIES = ['critical', 'major', 'minor', 'warning', 'info'] as const;

export type AlarmSeverity = (typeof ALARM_SEVERITIES)[number];
export type AlarmChangeKind = 'raised' | 'updated' | 'acknowledged' | 'cleared';

/** One alarm as the dashboard shows it (a superset of the alert engine's AlarmView). */
export type AlarmItem = {
  id: string;
  site: string;
  /** Machine or station id; `hub` for hub-level alarms (a broken alert channel). */
  node: string;
  /** Rule type: machine_stopped, job_finished, running_long, idle_long, sensor_offline, sensor_fault, clutter_high, channel_broken. */
  type: string;
  severity: AlarmSeverity;
  message: { ja: string; en: string };
  activeSince: number;
  active: boolean;
  acknowledged: boolean;
  acknowledgedBy?: string;
  acknowledgedAt?: number;
  clearedAt?: number;
  /** How often the condition began again before the alarm cleared (1 = once). */
  occurrences: number;
  lastRaisedAt: number;
  /** The escalation list has been told. */
  escalated: boolean;
};

/** `active`: alarms active now (acknowledged or not); `history`: all alarms, newest first. */
export type AlarmQuery = {
  state: 'active' | 'history';
  site?: string;
  node?: string;
  severity?: AlarmSeverity[];
  /** activeSince in [from, to), epoch ms. */
  from?: number;
  to?: number;
  limit: number;
};

export type AlarmAckResult = { outcome: 'acknowledged' | 'already' | 'not_found'; alarm: AlarmItem | null };

/** What a signed acknowledge link (from a mail) says: `valid` = may be acknowledged now. */
export type AlarmLinkResult = { outcome: 'valid' | 'acknowledged' | 'already' | 'invalid' | 'expired'; alarm: AlarmItem | null };
