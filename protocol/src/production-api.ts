/**
 * Wire shapes of the dashboard's production API (docs/api.md#production): request bodies
 * checked with zod on the server, and the answers the web app reads. The figures themselves
 * are the model types (model/production.ts).
 */
import { z } from 'zod';
import type { DowntimeReason, DowntimeStop, OeeGrouping, OeeReport, QualityEntry, StopList } from './model/production.js';

export const OEE_GROUPINGS = ['hour', 'shift', 'day', 'month'] as const satisfies readonly OeeGrouping[];

const Instant = z.int().min(946_684_800_000).max(4_102_444_800_000);
const Count = z.int().min(0).max(1_000_000);

/** PUT /api/machines/:site/:node/stops/:start/reason */
export const StopReasonBody = z.strictObject({ code: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/) });
export type StopReasonBody = z.infer<typeof StopReasonBody>;

/** POST /api/machines/:site/:node/quality: a period (job, shift) or an instant (start = end). */
export const QualityEntryBody = z
  .strictObject({
    start: Instant,
    end: Instant,
    good: Count,
    scrap: Count.default(0),
    startupScrap: Count.default(0),
    note: z.string().trim().max(200).nullable().default(null),
    /** Remove the entries this one overlaps (the answer to a 409 `overlaps`). */
    replace: z.boolean().default(false),
  })
  .refine((b) => b.end >= b.start, { message: 'end must not be before start', path: ['end'], params: { ja: 'end は start より前にできません' } })
  .refine((b) => b.good + b.scrap + b.startupScrap > 0, { message: 'enter at least one piece', path: ['good'], params: { ja: '1 個以上入力してください' } });
export type QualityEntryBody = z.input<typeof QualityEntryBody>;

export type BodyCheck<T> = { ok: true; data: T } | { ok: false; message: { en: string; ja: string } };

/**
 * A request body checked against one of the schemas above, with the problems in English and
 * Japanese (zod's ja locale for this call only; the schema's own messages carry `params.ja`).
 */
export function checkBody<S extends z.ZodType>(schema: S, input: unknown): BodyCheck<z.output<S>> {
  const first = schema.safeParse(input);
  if (first.success) return { ok: true, data: first.data };
  const again = schema.safeParse(input, { error: z.locales.ja().localeError });
  const ja = again.success ? [] : again.error.issues;
  const line = (path: PropertyKey[], text: string) => `${path.length > 0 ? `${path.map(String).join('.')}: ` : ''}${text}`;
  return {
    ok: false,
    message: {
      en: first.error.issues.map((i) => line(i.path, i.message)).join('; '),
      ja: first.error.issues
        .map((i, n) => {
          const j = ja[n];
          const text = j?.code === 'custom' && typeof j.params?.ja === 'string' ? j.params.ja : (j?.message ?? i.message);
          return line(i.path, text);
        })
        .join('; '),
    },
  };
}

type Where = { site: string; node: string; timeZone: string; from: number; to: number };
export type OeeAnswer = Where & { by: OeeGrouping } & OeeReport;
export type StopsAnswer = Where & StopList;
export type StopsNeedingReasonAnswer = { stops: DowntimeStop[]; now: number };
export type ReasonsAnswer = { reasons: DowntimeReason[] };
export type QualityAnswer = Where & { entries: QualityEntry[] };
