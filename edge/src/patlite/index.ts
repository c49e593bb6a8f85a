export { detectGpioBase, type GpioBase } from './gpio-base.js';
export type { GpioAvailability, GpioOutput, GpioPort } from './gpio-port.js';
export { FakeGpioPort, type FakeGpioWrite } from './fake-gpio-port.js';
export { OnoffGpioPort, type OnoffGpioPortOptions } from './onoff-gpio-port.js';
export { GpioRelayTower, RELAY_TIERS, type ApplyResult, type GpioRelayTowerOptions, type RelayPins, type RelayTier, type RelayTowerState } from './gpio-relay-tower.js';
export { PatliteRelayAgent, type PatliteRelayAgentOptions, type PatliteRelayAgentStats } from './patlite-relay-agent.js';
