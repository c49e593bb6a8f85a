export { postJson, parseRetryAfter, type PostOptions, type PostResult } from './http-post.js';
export { redactWebhookUrl } from './redact-url.js';
export { webhookBody, webhookText, type WebhookBodyOptions, type WebhookLanguage } from './webhook-body.js';
export { webhookPayload, type WebhookFormat } from './formats/index.js';
export { WebhookChannel, type WebhookChannelOptions, type WebhookTarget, type WebhookTargetStats } from './webhook-channel.js';
