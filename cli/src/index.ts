export { main } from './main.js';
export { buildProgram } from './program.js';
export type { CliContext, Runnable } from './context.js';
export { createHub, mountDashboard, type ComposedHubOptions, type DashboardOverrides } from './compose-hub.js';
export { Demo, type DemoOptions } from './demo/demo.js';
