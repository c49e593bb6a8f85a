/**
 * Webhook URLs are secrets (Slack, Teams and most chat services put the token in the path or
 * the query). Logs, errors and status details show only the scheme and host.
 */
export function redactWebhookUrl(url: string | URL): string {
  try {
    const u = typeof url === 'string' ? new URL(url) : url;
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(invalid URL)';
  }
}
