export { ClutterHistory, type ClutterHistoryOptions } from './clutter-history.js';
export { ClutterWebhook, type ClutterWebhookBody, type ClutterWebhookOptions, type ClutterWebhookStats } from './clutter-webhook.js';
export { ImagePruner, type ImagePrunerOptions, type PruneResult } from './image-pruner.js';
export { Thumbnails, thumbnailPathOf, THUMBNAIL_WIDTH, THUMBS_DIR, type ThumbnailsOptions } from './thumbnails.js';
