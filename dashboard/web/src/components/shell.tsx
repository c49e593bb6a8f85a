/** The frame around every page: top bar with navigation, user and language, the feed banner. */
import { unacknowledgedCount } from '../alarms-store.js';
import { logout } from '../api.js';
import { t } from '../i18n/index.js';
import { lazyPage } from './lazy-page.js';
import { Link } from './link.js';
import { paths, route } from '../router.js';
import { kiosk, user } from '../store.js';
import { OverviewPage } from '../pages/overview/overview-page.js';
import { FeedBanner } from './feed-banner.js';
import { LanguageSwitch } from './language-switch.js';
import { ReasonPrompt } from './reason-prompt.js';

const MachinePage = lazyPage(() => import('../pages/machine/machine-page.js').then((m) => m.MachinePage));
const BenchPage = lazyPage(() => import('../pages/bench/bench-page.js').then((m) => m.BenchPage));
const AlarmsPage = lazyPage(() => import('../pages/alarms/alarms-page.js').then((m) => m.AlarmsPage));
const SettingsPage = lazyPage(() => import('../pages/settings/settings-page.js').then((m) => m.SettingsPage));
const AndonPage = lazyPage(() => import('../pages/andon/andon-page.js').then((m) => m.AndonPage));
const SystemPage = lazyPage(() => import('../pages/system/system-page.js').then((m) => m.SystemPage));

function CurrentPage() {
  const r = route.value;
  switch (r.page) {
    case 'overview':
      return <OverviewPage />;
    case 'kiosk':
      return r.view === 'andon' ? <AndonPage /> : <OverviewPage />;
    case 'andon':
      return <AndonPage />;
    case 'machine':
      return <MachinePage site={r.site} node={r.node} />;
    case 'bench':
      return <BenchPage site={r.site} node={r.node} />;
    case 'alarms':
      return <AlarmsPage />;
    case 'settings':
      return user.value?.role === 'admin' && !kiosk.value ? <SettingsPage /> : <p class="error" role="alert">{t('adminOnly')}</p>;
    case 'system':
      return user.value?.role === 'admin' && !kiosk.value ? <SystemPage /> : <p class="error" role="alert">{t('adminOnly')}</p>;
    default:
      return (
        <p class="error" role="alert" data-testid="not-found">
          {t('notFound')}
        </p>
      );
  }
}

export function Shell() {
  const page = route.value.page;
  const isKiosk = kiosk.value;
  const onLogout = async () => {
    await logout();
    user.value = null;
  };
  return (
    <>
      <header class={isKiosk ? 'topbar kiosk' : 'topbar'}>
        <h1>
          <Link href={paths.overview()}>{t('appTitle')}</Link>
        </h1>
        {isKiosk ? null : (
          <nav class="nav" aria-label={t('navLabel')}>
            <Link href={paths.overview()} data-testid="nav-overview" {...(page === 'overview' ? { 'aria-current': 'page' as const } : {})}>
              {t('navOverview')}
            </Link>
            <Link href={paths.alarms()} data-testid="nav-alarms" {...(page === 'alarms' ? { 'aria-current': 'page' as const } : {})}>
              {t('navAlarms')}
              {unacknowledgedCount.value > 0 ? (
                <span class="nav-badge" data-testid="nav-alarms-count" aria-label={t('navAlarmsUnacked', { n: unacknowledgedCount.value })}>
                  {unacknowledgedCount.value}
                </span>
              ) : null}
            </Link>
            <Link href={paths.andon()} data-testid="nav-andon" {...(page === 'andon' ? { 'aria-current': 'page' as const } : {})}>
              {t('navAndon')}
            </Link>
            {user.value?.role === 'admin' ? (
              <Link href={paths.settings()} data-testid="nav-settings" {...(page === 'settings' ? { 'aria-current': 'page' as const } : {})}>
                {t('navSettings')}
              </Link>
            ) : null}
            {user.value?.role === 'admin' ? (
              <Link href={paths.system()} data-testid="nav-system" {...(page === 'system' ? { 'aria-current': 'page' as const } : {})}>
                {t('navSystem')}
              </Link>
            ) : null}
          </nav>
        )}
        <div class="topbar-actions">
          {isKiosk ? null : (
            <span class="who" data-testid="current-user">
              {user.value?.username}
            </span>
          )}
          <LanguageSwitch />
          {isKiosk ? null : (
            <button type="button" onClick={onLogout} data-testid="logout">
              {t('logout')}
            </button>
          )}
        </div>
      </header>
      <FeedBanner />
      <CurrentPage />
      <ReasonPrompt />
    </>
  );
}
