import { useSignal } from '@preact/signals';
import { login } from '../api.js';
import { t, type MessageKey } from '../i18n/index.js';
import { user } from '../store.js';
import { LanguageSwitch } from './language-switch.js';

const REASON: Record<'wrong' | 'rate-limited' | 'failed', MessageKey> = {
  wrong: 'loginWrong',
  'rate-limited': 'loginRateLimited',
  failed: 'loginFailed',
};

export function LoginPage() {
  const username = useSignal('');
  const password = useSignal('');
  const busy = useSignal(false);
  const error = useSignal<MessageKey | null>(null);

  const submit = async (ev: Event) => {
    ev.preventDefault();
    if (busy.value) return;
    busy.value = true;
    error.value = null;
    const result = await login(username.value, password.value);
    busy.value = false;
    if (result.ok) {
      password.value = '';
      user.value = result.session.user;
    } else {
      error.value = REASON[result.reason];
    }
  };

  return (
    <main class="login">
      <form class="login-card" data-testid="login-form" onSubmit={submit}>
        <div class="login-head">
          <h1>{t('appTitle')}</h1>
          <LanguageSwitch />
        </div>
        <h2>{t('loginTitle')}</h2>
        <label>
          {t('username')}
          <input
            name="username"
            autocomplete="username"
            required
            value={username.value}
            onInput={(e) => (username.value = e.currentTarget.value)}
          />
        </label>
        <label>
          {t('password')}
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password.value}
            onInput={(e) => (password.value = e.currentTarget.value)}
          />
        </label>
        {error.value && (
          <p class="error" role="alert" data-testid="login-error">
            {t(error.value)}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy.value} data-testid="login-submit">
          {busy.value ? t('loggingIn') : t('loginButton')}
        </button>
      </form>
    </main>
  );
}
