/** Loading, error and empty states of a page section, the same everywhere. */
import type { ComponentChildren } from 'preact';
import type { ApiError } from '../../api.js';
import { t } from '../../i18n/index.js';

export function Loading() {
  return <p class="section-state loading">{t('loading')}</p>;
}

export function ErrorNote({ error }: { error: ApiError }) {
  return (
    <p class="section-state error" role="alert" data-testid="section-error">
      {t('machine_loadFailed', { message: error.message })}
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return (
    <p class="section-state empty-state" data-testid="section-empty">
      {children}
    </p>
  );
}
