/** Field schemas shared by the config sections (ids, ports, times of day, colours). */
import { z } from 'zod';
import { ID_PATTERN } from './topics.js';

export const Id = z.string().regex(ID_PATTERN, 'use a-z, 0-9 and "-" (1–64 chars, not starting or ending with "-")');
export const Port = z.int().min(0).max(65535);
export const Host = z.string().min(1).max(255);
export const TimeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'unknown IANA time zone');
/** "HH:MM", 24-hour clock. */
export const Slot = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'use HH:MM (24-hour)');
export const Point = z.tuple([z.number().min(0), z.number().min(0)]);
export const Hsv = z.tuple([z.int().min(0).max(179), z.int().min(0).max(255), z.int().min(0).max(255)]);
