/** Every string the UI shows, in Japanese (default) and English. */
import { computed, signal } from '@preact/signals';

export type Lang = 'ja' | 'en';

const ja = {
  appTitle: '見える化 ダッシュボード',
  loginTitle: 'ログイン',
  username: 'ユーザー名',
  password: 'パスワード',
  loginButton: 'ログイン',
  loggingIn: 'ログイン中…',
  loginWrong: 'ユーザー名またはパスワードが違います。',
  loginRateLimited: 'ログインの失敗が多すぎます。しばらく待ってから再度お試しください。',
  loginFailed: 'ログインできませんでした。接続を確認してください。',
  logout: 'ログアウト',
  switchLanguage: 'English',
  switchLanguageLabel: 'Switch to English',
  connecting: '接続中…',
  disconnected: '接続が切れました — 再接続中…',
  staleFeed: 'データの更新が止まっています',
  noNodes: 'まだ機器からのデータがありません。',
  online: 'オンライン',
  offline: 'オフライン',
  stale: '応答なし',
  unknownStatus: '状態不明',
  state_off: '停止',
  state_idle: '待機',
  state_running: '稼働中',
  state_unknown: '不明',
  sinceFor: '{d}継続',
  current: '電流',
  clutter: '散乱度',
  slot: '{slot} の撮影',
  motion: '人感センサー',
  motionActive: '人を検知',
  motionIdle: '人なし',
  lastSeen: '最終受信 {t}',
  neverSeen: '受信なし',
  clutterImage: '{node} の作業台の写真',
  durSeconds: '{n}秒',
  durMinutes: '{n}分',
  durHours: '{h}時間{m}分',
  durDays: '{d}日{h}時間',
};

export type MessageKey = keyof typeof ja;

const en: Record<MessageKey, string> = {
  appTitle: 'Mieruka dashboard',
  loginTitle: 'Log in',
  username: 'User name',
  password: 'Password',
  loginButton: 'Log in',
  loggingIn: 'Logging in…',
  loginWrong: 'Wrong user name or password.',
  loginRateLimited: 'Too many failed logins. Please wait and try again.',
  loginFailed: 'Could not log in. Check the connection.',
  logout: 'Log out',
  switchLanguage: '日本語',
  switchLanguageLabel: '日本語に切り替え',
  connecting: 'Connecting…',
  disconnected: 'Disconnected — reconnecting…',
  staleFeed: 'No updates for a while',
  noNodes: 'No data from any machine yet.',
  online: 'Online',
  offline: 'Offline',
  stale: 'Stale',
  unknownStatus: 'Unknown',
  state_off: 'Off',
  state_idle: 'Idle',
  state_running: 'Running',
  state_unknown: 'Unknown',
  sinceFor: 'for {d}',
  current: 'Current',
  clutter: 'Clutter',
  slot: '{slot} shot',
  motion: 'Motion',
  motionActive: 'Someone there',
  motionIdle: 'Nobody',
  lastSeen: 'Last seen {t}',
  neverSeen: 'Never seen',
  clutterImage: 'Work bench photo of {node}',
  durSeconds: '{n} s',
  durMinutes: '{n} min',
  durHours: '{h} h {m} min',
  durDays: '{d} d {h} h',
};

const TABLE: Record<Lang, Record<MessageKey, string>> = { ja, en };
const STORAGE_KEY = 'mieruka.lang';

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'ja' || saved === 'en') return saved;
  } catch {
    // Storage may be blocked (private mode); fall back to the server's default.
  }
  return document.documentElement.lang === 'en' ? 'en' : 'ja';
}

export const lang = signal<Lang>(initialLang());
export const locale = computed(() => (lang.value === 'ja' ? 'ja-JP' : 'en-GB'));

export function setLang(next: Lang): void {
  lang.value = next;
  document.documentElement.lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Not persisted; the switch still works for this page.
  }
}

/** Looks up a string in the current language and fills `{name}` placeholders. */
export function t(key: MessageKey, params?: Record<string, string | number>): string {
  const text = TABLE[lang.value][key];
  return params ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m)) : text;
}
