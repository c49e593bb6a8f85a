export * from './app.js';
export { HTTP_STATUS, httpStatusFor, type ErrorBody, type HttpErrorCode } from './http-errors.js';
export { CLOSE_SESSION_ENDED, LIVE_PATH, liveMessagesOf, type LiveMessage } from './live-message.js';
export { SESSION_COOKIE } from './cookies.js';
export { CSRF_HEADER } from './csrf.js';
export type { DashboardUsers, UserStamps } from './auth.js';
export { toCsv, csvField, attachmentHeader, CSV_BOM, CSV_CONTENT_TYPE, type CsvValue } from './csv.js';
export { MAX_RANGE_DAYS } from './routes/machines.js';
export type { LoginRateLimitOptions } from './login-rate-limit.js';
