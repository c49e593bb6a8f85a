/** Wire types shared with the server (type-only imports: nothing of the server is bundled). */
import type { SystemInfo } from '../../src/data-source.js';

export type { AuthenticatedUser, LiveUpdate, NodeSnapshot } from '../../src/data-source.js';
export type { LiveMessage } from '../../src/live-message.js';
export type { AlarmChangeKind, AlarmItem, AlarmSeverity, SettingsView, UsageReport } from '../../src/data-source.js';
export type { RuntimeSettings } from '@mieruka/protocol';
export type { AlarmAckResult } from '../../src/data-source.js';
export type { JoinRequest, SystemInfo } from '../../src/data-source.js';
/** What GET /api/system answers: the hub's system information, with the hub's clock and uptime. */
export type SystemAnswer = SystemInfo & { now: number; uptimeMs: number };
