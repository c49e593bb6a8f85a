export { MachineStateTracker, type MachineStateConfig, type MachineStateUpdate, type KnownMachineState } from './machine-state.js';
export { CurrentAgent, type CurrentAgentOptions, type CurrentAgentStats, type ChannelCalibration } from './current-agent.js';
