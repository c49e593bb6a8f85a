/**
 * Asks for the reason of a stop that waits for one (oee.askReasonAfterS): a panel over any page,
 * with the machine's reasons as buttons — large touch buttons on the kiosk. "Later" hides that
 * stop for this browser session; it stays in the machine page's stop list.
 */
import { signal } from '@preact/signals';
import { useEffect, useState } from 'preact/hooks';
import type { DowntimeReason } from '@mieruka/protocol';
import { formatDuration, formatTime } from '../format.js';
import { lang, t } from '../i18n/index.js';
import { loadNodeNames, nodeLabel } from '../node-names.js';
import { loadWaitingStops, reasonsFor, waitingStops } from '../production-store.js';
import { kiosk, now } from '../store.js';
import { saveReason } from '../pages/production/stops-section.js';
import '../pages/production/production.css';

const later = signal<ReadonlySet<string>>(new Set());
const stopKey = (s: { site: string; node: string; start: number }) => `${s.site}/${s.node}/${s.start}`;

export function ReasonPrompt() {
  const pending = waitingStops.value.filter((s) => !later.value.has(stopKey(s)));
  const stop = pending[0] ?? null;
  const [reasons, setReasons] = useState<DowntimeReason[] | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void loadNodeNames();
  }, []);
  useEffect(() => {
    setReasons(null);
    setError(null);
    if (!stop) return;
    let alive = true;
    reasonsFor(stop.site, stop.node).then(
      (r) => alive && setReasons(r),
      (err: unknown) => alive && setError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      alive = false;
    };
  }, [stop?.site, stop?.node, stop?.start]);
  if (!stop) return null;
  const at = now.value;
  const pick = async (code: string) => {
    setSaving(true);
    setError(null);
    try {
      await saveReason(stop.site, stop.node, stop.start, code);
      // Gone from the prompt at once; the re-read confirms it.
      waitingStops.value = waitingStops.value.filter((s) => stopKey(s) !== stopKey(stop));
      void loadWaitingStops();
    } catch (err) {
      setError(t('prod_promptFailed', { message: err instanceof Error ? err.message : String(err) }));
    } finally {
      setSaving(false);
    }
  };
  return (
    <aside
      class={kiosk.value ? 'reason-prompt kiosk' : 'reason-prompt'}
      role="dialog"
      aria-labelledby="reason-prompt-title"
      data-testid="reason-prompt"
      data-site={stop.site}
      data-node={stop.node}
      data-start={stop.start}
    >
      <h2 id="reason-prompt-title">{t('prod_promptTitle')}</h2>
      <p>{t('prod_promptText', { machine: nodeLabel(stop.site, stop.node), t: formatTime(stop.start, at), d: formatDuration((stop.end ?? at) - stop.start) })}</p>
      <div class="reason-buttons">
        {(reasons ?? []).map((r) => (
          <button type="button" key={r.code} disabled={saving} onClick={() => void pick(r.code)} data-testid="reason-button" data-code={r.code}>
            {lang.value === 'ja' ? r.ja : r.en}
          </button>
        ))}
      </div>
      {error && (
        <p class="error" role="alert" data-testid="reason-prompt-error">
          {error}
        </p>
      )}
      <div class="prompt-foot">
        <span class="muted">{pending.length > 1 ? t('prod_promptMore', { n: pending.length - 1 }) : ''}</span>
        <button type="button" onClick={() => (later.value = new Set([...later.value, stopKey(stop)]))} data-testid="reason-later">
          {t('prod_promptLater')}
        </button>
      </div>
    </aside>
  );
}
