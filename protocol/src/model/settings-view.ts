/** The settings an admin may change from the dashboard, and what saving them gives. */
import type { RuntimeSettings } from '../settings-schema.js';

/** Effective values: config file + saved changes. */
export type SettingsView = {
  /** Bumped at every save; PUT must send the version it edited (409 otherwise). 0 = never saved. */
  version: number;
  updatedAt: number | null;
  updatedBy: string | null;
  settings: RuntimeSettings;
};

export type SettingsUpdateResult =
  | { outcome: 'saved'; view: SettingsView }
  | { outcome: 'conflict'; view: SettingsView }
  /** Each problem with its path inside `settings` (e.g. ['machines','lathe-1','runningAboveA']). */
  /** `messageJa`: the same problem in Japanese (zod's ja locale), when the hub has it. */
  | { outcome: 'invalid'; issues: Array<{ path: Array<string | number>; message: string; messageJa?: string }> };
