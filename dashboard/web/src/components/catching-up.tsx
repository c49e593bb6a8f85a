/**
 * A node whose agent says messages still wait in its store-and-forward queue is "catching up":
 * what the dashboard shows of it is history still filling in (docs/store-and-forward.md).
 * Shown on the overview tiles, the machine page and the System page.
 */
import { formatTime } from '../format.js';
import { t } from '../i18n/index.js';
import type { NodeSnapshot } from '../types.js';

/** Online (or not known to be offline) and something waits: an offline agent's will may carry an old count. */
export function isCatchingUp(node: NodeSnapshot | undefined): boolean {
  return node !== undefined && node.online !== false && (node.backlog?.queued ?? 0) > 0;
}

/** "N messages waiting since HH:MM" (site clock), and the dropped count when there is one; nothing otherwise. */
export function CatchingUp({ node, at }: { node: NodeSnapshot | undefined; at: number }) {
  if (!node || !isCatchingUp(node)) return null;
  const b = node.backlog!;
  const waiting = b.oldestTs === null ? t('catchingUpWaiting', { n: b.queued.toLocaleString() }) : t('catchingUpSince', { n: b.queued.toLocaleString(), t: formatTime(b.oldestTs, at) });
  return (
    <p class="catching-up" role="status" data-testid="node-catching-up" data-queued={b.queued} data-dropped={b.dropped}>
      <strong>{t('catchingUp')}</strong> {waiting}
      {b.dropped > 0 && <span class="catching-up-dropped"> · {t('catchingUpDropped', { n: b.dropped.toLocaleString() })}</span>}
    </p>
  );
}
