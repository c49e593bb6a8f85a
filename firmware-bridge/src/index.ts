export { SerialLineReader, type SerialLineReaderOptions } from './serial-line-reader.js';
export { InProcessSerialLink, IN_PROCESS_PATH } from './in-process-serial-link.js';
export { SerialLineDecoder, SerialCounters, MAX_BUFFERED_LINE_BYTES, SKIP_REASONS, type SerialSkip, type SerialLineDecoderHandlers } from './serial-line-decoder.js';
export { findSerialPort, listSerialCandidates, DEFAULT_BY_ID_DIR, type SerialCandidate } from './port-discovery.js';
export { Esp32Simulator, ESP32_ROM_BANNER, type Esp32SimulatorOptions, type SimulatorClock, type SimulatorEvents } from './esp32-simulator.js';
export {
  MachineModel,
  DEFAULT_MACHINE_PROFILE,
  CYCLING_MACHINE_PROFILE,
  machineProfile,
  simulateTrace,
  type MachineProfile,
  type CycleProfile,
  type SimulatedPhase,
  type TracePoint,
} from './machine-model.js';
export { Prng } from './prng.js';
export { PtyPair, socatAvailable } from './pty-pair.js';
