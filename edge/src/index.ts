export type { NodeLink } from './node-link.js';
export * from './mqtt/index.js';
export * from './current/index.js';
export * from './clutter/index.js';
export * from './patlite/index.js';
export * from './station/index.js';
export * from './outbox/index.js';
