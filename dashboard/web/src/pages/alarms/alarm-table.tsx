/** The alarm list: one row per alarm, with the acknowledge button where the viewer may use it. */
import { useEffect, useRef } from 'preact/hooks';
import { formatDateTime, formatDuration } from '../../format.js';
import { lang, t } from '../../i18n/index.js';
import { nodeLabel } from '../../node-names.js';
import { search } from '../../router.js';
import { kiosk, now } from '../../store.js';
import type { AlarmItem } from '../../types.js';

export type AckState = { busy: ReadonlySet<string>; errors: ReadonlyMap<string, string> };

export function AlarmTable(props: { alarms: readonly AlarmItem[]; ack: AckState; onAck: (id: string) => void }) {
  const showAction = !kiosk.value;
  // An alert mail links to /alarms?focus=<id>: that row is marked and scrolled into view.
  const focus = search.value.get('focus');
  return (
    <table class="alarm-table" data-testid="alarm-table">
      <thead>
        <tr>
          <th scope="col">{t('alarms_colSeverity')}</th>
          <th scope="col">{t('alarms_colNode')}</th>
          <th scope="col">{t('alarms_colMessage')}</th>
          <th scope="col">{t('alarms_colSince')}</th>
          <th scope="col" class="num">{t('alarms_colOccurrences')}</th>
          <th scope="col">{t('alarms_colState')}</th>
          {showAction && <th scope="col">{t('alarms_colAction')}</th>}
        </tr>
      </thead>
      <tbody>
        {props.alarms.map((a) => (
          <AlarmRow key={a.id} focused={a.id === focus} alarm={a} busy={props.ack.busy.has(a.id)} error={props.ack.errors.get(a.id) ?? null} showAction={showAction} onAck={props.onAck} />
        ))}
      </tbody>
    </table>
  );
}

function AlarmRow(props: { focused: boolean; alarm: AlarmItem; busy: boolean; error: string | null; showAction: boolean; onAck: (id: string) => void }) {
  const a = props.alarm;
  const at = now.value;
  const row = useRef<HTMLTableRowElement>(null);
  // Once when the row becomes the focused one, not at every re-render (the clock ticks every second).
  useEffect(() => {
    if (props.focused) row.current?.scrollIntoView({ block: 'center' });
  }, [props.focused]);
  const name = nodeLabel(a.site, a.node);
  return (
    <tr
      ref={row}
      aria-current={props.focused ? 'true' : undefined}
      class={`alarm-row sev-${a.severity}${a.active ? ' is-active' : ' is-cleared'}${a.acknowledged ? ' is-acked' : ''}${props.focused ? ' is-focused' : ''}`}
      data-testid="alarm-row"
      data-alarm-id={a.id}
      data-severity={a.severity}
      data-acknowledged={String(a.acknowledged)}
      data-active={String(a.active)}
    >
      <td data-label={t('alarms_colSeverity')}>
        <span class="sev-chip">{t(`severity_${a.severity}`)}</span>
      </td>
      <td data-label={t('alarms_colNode')}>
        <strong>{name}</strong>
        {name !== a.node && <small class="muted block">{a.node}</small>}
      </td>
      <td data-label={t('alarms_colMessage')} class="alarm-message">
        {a.message[lang.value]}
      </td>
      <td data-label={t('alarms_colSince')}>
        {formatDateTime(a.activeSince)}
        {a.active && <small class="muted block">{t('sinceFor', { d: formatDuration(at - a.activeSince) })}</small>}
      </td>
      <td data-label={t('alarms_colOccurrences')} class="num">
        {t('alarms_occurrences', { n: a.occurrences })}
      </td>
      <td data-label={t('alarms_colState')} data-testid="alarm-state">
        <span class={a.active ? 'state-active' : 'state-cleared'}>
          {a.active ? t('alarms_stateActive') : t('alarms_stateCleared', { t: a.clearedAt ? formatDateTime(a.clearedAt) : '' })}
        </span>
        <small class="block" data-testid="alarm-ack-state">
          {a.acknowledged
            ? t('alarms_ackedBy', { who: a.acknowledgedBy ?? '—', t: a.acknowledgedAt ? formatDateTime(a.acknowledgedAt) : '' })
            : t('alarms_notAcked')}
        </small>
        {a.escalated && <small class="block muted">{t('alarms_escalated')}</small>}
      </td>
      {props.showAction && (
        <td data-label={t('alarms_colAction')} class="alarm-action">
          {!a.acknowledged && (
            <button type="button" class="primary" data-testid="ack-button" disabled={props.busy} onClick={() => props.onAck(a.id)}>
              {props.busy ? t('alarms_acking') : t('alarms_ack')}
            </button>
          )}
          {props.error && (
            <p class="error" role="alert" data-testid="ack-error">
              {t('alarms_ackFailed', { msg: props.error })}
            </p>
          )}
        </td>
      )}
    </tr>
  );
}
