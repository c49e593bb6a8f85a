import { logout } from '../api.js';
import { t } from '../i18n.js';
import { nodes, user } from '../store.js';
import { FeedBanner } from './feed-banner.js';
import { LanguageSwitch } from './language-switch.js';
import { NodeTile } from './node-tile.js';

export function OverviewPage() {
  const list = [...nodes.value.values()].sort((a, b) => a.site.localeCompare(b.site) || a.node.localeCompare(b.node));
  const onLogout = async () => {
    await logout();
    user.value = null;
  };
  return (
    <>
      <header class="topbar">
        <h1>{t('appTitle')}</h1>
        <div class="topbar-actions">
          <span class="who" data-testid="current-user">
            {user.value?.username}
          </span>
          <LanguageSwitch />
          <button type="button" onClick={onLogout} data-testid="logout">
            {t('logout')}
          </button>
        </div>
      </header>
      <FeedBanner />
      <main class="overview">
        {list.length === 0 ? (
          <p class="empty" data-testid="no-nodes">
            {t('noNodes')}
          </p>
        ) : (
          <div class="grid" data-testid="node-grid">
            {list.map((n) => (
              <NodeTile key={`${n.site}/${n.node}`} node={n} />
            ))}
          </div>
        )}
      </main>
    </>
  );
}
