/**
 * The domain model every package speaks: nodes, live updates, alarms, users, reports, local
 * time. No zod and no I/O, so the browser app can import it (`@mieruka/protocol/model`).
 */
export * from './alarm.js';
export type * from './node-snapshot.js';
export type * from './live-update.js';
export type * from './user.js';
export type * from './reports.js';
export type * from './production.js';
export { LOSS_CATEGORIES } from './production.js';
export type * from './bench.js';
export type * from './settings-view.js';
export type * from './hub-stats.js';
export type * from './system-info.js';
export type * from './dashboard-data-source.js';
export type * from './session-records.js';
export { LocalTime, localTimeFor, isValidTimeZone, parseDate, addDays, weekdayOf, HOUR_MS, DAY_MS, type LocalParts } from './local-time.js';
export { shiftWindows, shiftAt, type ShiftWindow, type ShiftSpec } from './shifts.js';
