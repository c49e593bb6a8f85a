export * from './topics.js';
export * from './payloads.js';
export * from './decode.js';
export * from './serial-line.js';
export * from './config-schema.js';
export * from './config-parse.js';
export * from './errors.js';
export const PROTOCOL_VERSION = 'v1';
export * from './version.js';
