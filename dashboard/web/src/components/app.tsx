/**
 * Top level: asks who is logged in, then shows the login page or the app shell with the
 * page the URL names. A kiosk URL logs in with its token instead of a password.
 */
import { useEffect } from 'preact/hooks';
import { fetchMe, kioskLogin } from '../api.js';
import { t } from '../i18n/index.js';
import { startLiveFeed } from '../live-client.js';
import { route } from '../router.js';
import { user } from '../store.js';
import { LoginPage } from './login-page.js';
import { Shell } from './shell.js';

export function App() {
  const current = route.value;
  const kioskToken = current.page === 'kiosk' ? current.token : null;
  useEffect(() => {
    // Logged in: nothing to ask. Logged out: the login page asks; only a kiosk logs in again by itself.
    if (user.value !== undefined && (user.value !== null || !kioskToken)) return;
    const ask = kioskToken ? fetchMe().then((me) => me ?? kioskLogin(kioskToken)) : fetchMe();
    ask
      .then((me) => {
        user.value = me ? me.user : null;
      })
      .catch(() => {
        user.value = null;
      });
  }, [kioskToken, user.value === null]);

  const me = user.value;
  if (me === undefined) return <p class="loading">{t('connecting')}</p>;
  if (me === null) return kioskToken ? <p class="error" role="alert">{t('kioskRefused')}</p> : <LoginPage />;
  return <Live />;
}

/** Mounted only while logged in, so the feed starts at login and stops at logout. */
function Live() {
  useEffect(() => startLiveFeed(), []);
  return <Shell />;
}
