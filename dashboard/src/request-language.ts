/**
 * The language of a request's error messages: Japanese when Accept-Language prefers ja over
 * en, English otherwise (also without the header, so scripts get stable English text). The
 * web app sends its own language choice (the switch in the header) as Accept-Language.
 */
import type { Request } from 'express';

export type Lang = 'ja' | 'en';

/** A message in both languages; `{name}` placeholders are not used: build it with the values. */
export type Localized = { en: string; ja: string };

export function requestLanguage(req: Pick<Request, 'acceptsLanguages'> | undefined): Lang {
  // Express (negotiator) weighs q-values and matches ja-JP to ja; ties go to the first listed here.
  return req?.acceptsLanguages('en', 'ja') === 'ja' ? 'ja' : 'en';
}

export function localize(message: string | Localized, lang: Lang): string {
  return typeof message === 'string' ? message : message[lang];
}
