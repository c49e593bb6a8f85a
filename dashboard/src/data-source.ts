/**
 * What the dashboard needs from the hub. The types live in the shared domain model
 * (@mieruka/protocol, protocol/src/model); the dashboard never imports the broker: the hub
 * implements DashboardDataSource (broker/src/hub-data-source.ts) and the composition root
 * (cli) hands it over.
 */
export type {
  AlarmAckResult,
  AlarmChangeKind,
  AlarmItem,
  AlarmLinkResult,
  AlarmQuery,
  AlarmSeverity,
  AuthenticatedUser,
  BenchScore,
  BenchSummary,
  CurrentSeries,
  DashboardDataSource,
  HubStats,
  JoinRequest,
  JoinRequestOutcome,
  NodeRemovalOutcome,
  LiveUpdate,
  MachineJob,
  MachineSummary,
  MachineTimeline,
  NodeSnapshot,
  ReportSettings,
  SettingsUpdateResult,
  SessionRecord,
  SessionRecords,
  SettingsView,
  StateInterval,
  StateSeconds,
  SystemInfo,
  TimeRange,
  UsageGrouping,
  UsageReport,
  UsageRow,
  UserStamps,
  UserVerifier,
} from '@mieruka/protocol/model';
