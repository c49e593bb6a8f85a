import { lang, setLang, t } from '../i18n/index.js';

export function LanguageSwitch() {
  return (
    <button
      type="button"
      class="lang-switch"
      data-testid="lang-switch"
      aria-label={t('switchLanguageLabel')}
      onClick={() => setLang(lang.value === 'ja' ? 'en' : 'ja')}
    >
      {t('switchLanguage')}
    </button>
  );
}
