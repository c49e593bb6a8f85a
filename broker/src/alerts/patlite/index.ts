export { backoffDelayMs, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
export { createPatliteChannel, type PatliteChannelDeps, type PatliteTowerConfig } from './create-patlite-channel.js';
export { PatliteChannel, type PatliteChannelOptions, type PatliteChannelStats } from './patlite-channel.js';
export { PnsClient, PNS_DEFAULT_TIMEOUT_MS, type PnsClientOptions } from './pns-client.js';
export {
  decodePnsFrame,
  encodeClear,
  encodeDetailRunControl,
  encodePnsFrame,
  encodeRunControl,
  encodeStatusRequest,
  hexBytes,
  PNS_ACK,
  PNS_CATEGORY,
  PNS_COLOUR,
  PNS_DEFAULT_PORT,
  PNS_MODELS,
  PNS_NAK,
  PNS_UNIT,
  type PnsFrame,
  type PnsModel,
} from './pns-frame.js';
export { decodeAckReply, decodeStatusReply, describePnsStatus, type PnsStatus } from './pns-reply.js';
export { PnsSimulator, type PnsScenario, type PnsSimulatorOptions, type PnsSimulatedState } from './pns-simulator.js';
export { PnsTowerDriver } from './pns-tower-driver.js';
export { RelayTowerDriver, type CommandPublisher, type RelayTowerDriverOptions } from './relay-tower-driver.js';
export { DEFAULT_HOLD_S, DEFAULT_SEVERITY_PATTERNS, resolvePatterns, type SeverityPattern, type SeverityPatterns } from './severity-patterns.js';
export type { TowerDriver } from './tower-driver.js';
export { DARK, describeSignal, parseSignalSpec, signalToPnsFrame, TIERS, type La6Command, type Lamp, type Tier, type TowerSignal } from './tower-signal.js';
