export type * from './data-source.js';
export * from './app.js';
export { HTTP_STATUS, httpStatusFor, type ErrorBody, type HttpErrorCode } from './http-errors.js';
export { CLOSE_SESSION_ENDED, LIVE_PATH, type LiveMessage } from './live-message.js';
export { SESSION_COOKIE } from './cookies.js';
export { MemoryDataSource, emptyNode, type NodePatch } from './memory-data-source.js';
export type { LoginRateLimitOptions } from './login-rate-limit.js';
