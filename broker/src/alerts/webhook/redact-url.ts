/**
 * Webhook URLs are secrets (Slack, Teams and most chat services put the token in the path or
 * the query). Logs, errors and status details show only the scheme and host. The one
 * implementation lives in protocol (redact.ts).
 */
export { redactHostOnly as redactWebhookUrl } from '@mieruka/protocol';
