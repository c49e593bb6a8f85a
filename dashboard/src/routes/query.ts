/** What the report routes share: reading query parameters, answering a bad one, sending CSV. */
import type { Request, Response } from 'express';
import type { Localized } from '../request-language.js';
import { attachmentHeader, CSV_CONTENT_TYPE, toCsv, type CsvValue } from '../csv.js';

export type { Lang } from '../request-language.js';

/** Instants the API accepts, the same bounds as protocol timestamps (2000 … 2100): catches seconds-vs-ms mix-ups. */
export const MIN_TIME = 946_684_800_000;
export const MAX_TIME = 4_102_444_800_000;

/** A request problem, answered with 400 and this message (in both languages where it is ours). */
export class BadQuery extends Error {
  readonly text: string | Localized;
  constructor(text: string | Localized) {
    super(typeof text === 'string' ? text : text.en);
    this.text = text;
  }
}

/** One query parameter as a string (absent → undefined; repeated → 400). */
export function param(req: Request, name: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BadQuery({ en: `${name}: give it once, as text`, ja: `${name}: テキストで 1 回だけ指定してください` });
  return value;
}

export function sendCsv(res: Response, filename: string, header: string[], rows: CsvValue[][]): void {
  res.setHeader('Content-Type', CSV_CONTENT_TYPE);
  res.setHeader('Content-Disposition', attachmentHeader(filename));
  res.setHeader('Cache-Control', 'no-store');
  res.send(toCsv(header, rows));
}
