/**
 * Loads a page's module on first use, so the first page load carries only the overview;
 * charts (uPlot) and the other pages arrive as separate chunks.
 */
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n/index.js';

type Loader<P> = () => Promise<ComponentType<P>>;

export function lazyPage<P extends object>(load: Loader<P>): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  let pending: Promise<ComponentType<P>> | null = null;
  return function LazyPage(props: P) {
    const [Page, setPage] = useState<ComponentType<P> | null>(() => loaded);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (Page) return;
      let alive = true;
      pending ??= load().then((c) => (loaded = c));
      pending.then(
        (c) => alive && setPage(() => c),
        () => {
          pending = null;
          if (alive) setFailed(true);
        },
      );
      return () => {
        alive = false;
      };
    }, [Page]);
    if (failed) return <p class="error" role="alert">{t('pageLoadFailed')}</p>;
    if (!Page) return <p class="loading">{t('loading')}</p>;
    return <Page {...props} />;
  };
}
