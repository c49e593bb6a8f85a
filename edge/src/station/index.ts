export * from './camera/index.js';
export * from './voice/index.js';
export { ClutterStation, type ClutterStationOptions, type ClutterStationStats, type ShotResult, type StationLink } from './clutter-station.js';
export { CronSlotScheduler, ManualSlotScheduler, type SlotScheduler } from './slot-scheduler.js';
export { runProcess, type RunOptions, type RunResult } from './run-process.js';
export type { GpioInput } from '../patlite/gpio-port.js';
