/** Top level: asks who is logged in, then shows the login page or the overview. */
import { useEffect } from 'preact/hooks';
import { fetchMe } from '../api.js';
import { t } from '../i18n.js';
import { startLiveFeed } from '../live-client.js';
import { user } from '../store.js';
import { LoginPage } from './login-page.js';
import { OverviewPage } from './overview-page.js';

export function App() {
  useEffect(() => {
    fetchMe()
      .then((me) => {
        user.value = me;
      })
      .catch(() => {
        user.value = null;
      });
  }, []);

  const me = user.value;
  if (me === undefined) return <p class="loading">{t('connecting')}</p>;
  if (me === null) return <LoginPage />;
  return <Live />;
}

/** Mounted only while logged in, so the feed starts at login and stops at logout. */
function Live() {
  useEffect(() => startLiveFeed(), []);
  return <OverviewPage />;
}
