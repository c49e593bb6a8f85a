export { MachineStateTracker, type MachineStateConfig, type MachineStateUpdate, type KnownMachineState } from './machine-state.js';
export { CurrentAgent, type CurrentAgentOptions, type CurrentAgentStats, type ChannelCalibration, type AgentTimers } from './current-agent.js';
export {
  calibrateThresholds,
  CALIBRATION_EPSILON_A,
  type AmpsSample,
  type CalibrationBoundary,
  type CalibrationConfidence,
  type CalibrationLevel,
  type CalibrationLevelName,
  type CalibrationOptions,
  type CalibrationProposal,
  type CalibrationReport,
} from './threshold-calibration.js';
export { parseTraceText, type ParsedTrace, type TraceFormat, type TraceSkipReason } from './trace-file.js';
export { CycleDetector, type CycleConfig, type CycleDetectorStats, type DetectedCycle } from './cycle-detector.js';
export { SensorFloorWatch, type FloorVerdict, type SensorFloorConfig } from './sensor-floor-watch.js';
export { QualityButtons, type QualityButtonsOptions, type QualityButtonsStats, type QualityKind } from './quality-buttons.js';
export { calibrateProduction, MIN_CYCLES, type CycleProposal, type ProductionCalibration, type ProductionCalibrationOptions } from './production-calibration.js';
