/** Tells the viewer when what they see is not live: feed down, or silent for too long. */
import { t } from '../i18n/index.js';
import { FEED_STALE_MS } from '../live-client.js';
import { feedState, lastFrameAt, now } from '../store.js';

export function FeedBanner() {
  const state = feedState.value;
  if (state === 'down') {
    return (
      <div class="banner banner-down" role="status" data-testid="feed-banner" data-state="down">
        {t('disconnected')}
      </div>
    );
  }
  if (state === 'connecting') {
    return (
      <div class="banner banner-info" role="status" data-testid="feed-banner" data-state="connecting">
        {t('connecting')}
      </div>
    );
  }
  if (now.value - lastFrameAt.value > FEED_STALE_MS) {
    return (
      <div class="banner banner-stale" role="status" data-testid="feed-banner" data-state="stale">
        {t('staleFeed')}
      </div>
    );
  }
  return null;
}
