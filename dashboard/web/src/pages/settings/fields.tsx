/** Small inputs of the settings editor; each shows the problems of its own path. */
import { ALARM_SEVERITIES } from '@mieruka/protocol/model';
import type { ComponentChildren } from 'preact';
import { useReducer, useRef } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { issuesUnder, type IssueIndex, type Path } from './settings-form.js';

/** Server problems (red) and client hints (amber) of one path. */
export function FieldIssues(props: { server: IssueIndex; hints: IssueIndex; path: Path }) {
  const server = issuesUnder(props.server, props.path);
  const hints = server.length > 0 ? [] : issuesUnder(props.hints, props.path);
  if (server.length === 0 && hints.length === 0) return null;
  return (
    <div class="field-issues">
      {server.map((m, i) => (
        <p key={`s${i}`} class="field-error" role="alert" data-testid="field-error">
          {m}
        </p>
      ))}
      {hints.map((m, i) => (
        <p key={`h${i}`} class="field-hint" data-testid="field-hint">
          {m}
        </p>
      ))}
    </div>
  );
}

export function hasIssue(server: IssueIndex, hints: IssueIndex, path: Path): boolean {
  return issuesUnder(server, path).length > 0 || issuesUnder(hints, path).length > 0;
}

/**
 * A number input that keeps what the user typed ("1." or an empty box) while the draft holds
 * the parsed number (NaN when it is not one, which the checks then point at).
 */
export function NumberField(props: {
  value: number;
  onChange: (v: number) => void;
  step?: string;
  min?: number;
  invalid?: boolean;
  label: string;
  testid?: string;
  unit?: string;
}) {
  // The text shown and the number it stands for. An outside change of the value (discard,
  // reload after a conflict, a server-normalised value) replaces the text in the same render:
  // syncing it in an effect afterwards left one frame where the box showed the old text.
  const shown = useRef<{ text: string; value: number } | null>(null);
  if (shown.current === null || !sameNumber(shown.current.value, props.value)) shown.current = { text: formatNumber(props.value), value: props.value };
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  return (
    <span class="num-field">
      <input
        type="text"
        inputMode="decimal"
        class={props.invalid ? 'invalid' : undefined}
        aria-invalid={props.invalid ? 'true' : undefined}
        aria-label={props.label}
        data-testid={props.testid}
        value={shown.current.text}
        onInput={(e) => {
          const next = e.currentTarget.value;
          const trimmed = next.trim().replace(',', '.');
          const parsed = trimmed === '' || !/^-?\d*\.?\d*$/.test(trimmed) ? NaN : Number(trimmed);
          shown.current = { text: next, value: parsed };
          rerender(0);
          props.onChange(parsed);
        }}
      />
      {props.unit && <span class="unit">{props.unit}</span>}
    </span>
  );
}

const sameNumber = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
const formatNumber = (v: number) => (Number.isFinite(v) ? String(v) : '');

export function Section(props: { title: string; help?: string; children: ComponentChildren; testid?: string }) {
  return (
    <section class="settings-section" data-testid={props.testid}>
      <h3>{props.title}</h3>
      {props.help && <p class="muted section-help">{props.help}</p>}
      {props.children}
    </section>
  );
}

export const SEVERITY_OPTIONS = ALARM_SEVERITIES;

export function SeveritySelect(props: { value: string; onChange: (v: string) => void; label: string; testid?: string }) {
  return (
    <select value={props.value} aria-label={props.label} data-testid={props.testid} onChange={(e) => props.onChange(e.currentTarget.value)}>
      {SEVERITY_OPTIONS.map((s) => (
        <option key={s} value={s}>
          {t(`severity_${s}`)}
        </option>
      ))}
    </select>
  );
}
