/** Wire types shared with the server (type-only imports: nothing of the server is bundled). */
export type { AuthenticatedUser, LiveUpdate, NodeSnapshot } from '../../src/data-source.js';
export type { LiveMessage } from '../../src/live-message.js';
export type { AlarmChangeKind, AlarmItem, AlarmSeverity, SettingsView, UsageReport } from '../../src/data-source.js';
export type { RuntimeSettings } from '@mieruka/protocol';
export type { AlarmAckResult } from '../../src/data-source.js';
