/**
 * Runtime settings: what an admin changes in the dashboard (thresholds, schedules, recipients,
 * alarm rules) is validated against the whole config schema, saved in SQLite and handed to
 * every service that depends on it — no restart (the store is SQLite or PostgreSQL, through SqlStore). The effective config is always the config
 * file with the newest saved document laid over it; a saved document that no longer fits the
 * file (someone edited the file meanwhile) is refused at start with a clear log line, and the
 * file alone is in effect.
 */
import type { Logger } from 'pino';
import type { SettingsUpdateResult, SettingsView } from '@mieruka/protocol';
import { applySettings, settingsFromConfig, type Config, type RuntimeSettings } from '@mieruka/protocol';
import type { SqlStore } from '../store/sql/sql-store.js';
import { SettingsStore } from './settings-store.js';

/** A service that takes new settings while it runs. */
export type SettingsTarget = {
  name: string;
  /** `settings` is the saved document (what the admin set); `config` the whole effective config. */
  reconfigure(config: Readonly<Config>, settings: RuntimeSettings): void | Promise<void>;
};

export type RuntimeSettingsOptions = {
  /** The config as loaded from file, env and flags. */
  fileConfig: Readonly<Config>;
  sql: () => SqlStore;
  targets: readonly SettingsTarget[];
  /** Machines and stations heard of but not in the config (so they can be given settings too). */
  knownNodes?: () => { machines: string[]; stations: string[] };
  logger: Logger;
  now?: () => number;
};

export class RuntimeSettingsService {
  private readonly options: RuntimeSettingsOptions;
  private readonly logger: Logger;
  private readonly now: () => number;
  private store: SettingsStore | null = null;
  private effective: Readonly<Config>;
  private meta: { version: number; updatedAt: number | null; updatedBy: string | null } = { version: 0, updatedAt: null, updatedBy: null };
  /** Serializes saves: validation, storing and applying happen one after the other. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: RuntimeSettingsOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'settings' });
    this.now = options.now ?? Date.now;
    this.effective = options.fileConfig;
  }

  /** The config in effect now (file + saved settings). */
  get config(): Readonly<Config> {
    return this.effective;
  }

  /** Loads the saved settings, if any, and applies them before the services that use them start. */
  async start(): Promise<void> {
    const store = new SettingsStore(this.options.sql());
    this.store = store;
    const { saved, error } = await store.latest();
    this.meta = { version: await store.currentVersion(), updatedAt: saved?.updatedAt ?? null, updatedBy: saved?.updatedBy ?? null };
    if (error) {
      this.logger.error({ error }, 'saved settings unreadable: the config file alone is in effect until an admin saves again');
      return;
    }
    if (!saved) return;
    const check = applySettings(this.options.fileConfig, saved.document);
    if (!check.ok) {
      this.logger.error(
        { version: saved.version, issues: check.issues.map((i) => `${i.path.join('.')}: ${i.message}`) },
        'saved settings do not fit the config file any more: the file alone is in effect until an admin saves again',
      );
      return;
    }
    this.effective = check.config;
    await this.applyToTargets(check.settings);
    this.logger.info({ version: saved.version, by: saved.updatedBy }, 'saved settings applied');
  }

  /** Waits for a save under way, so nothing writes after the store closes. */
  async stop(): Promise<void> {
    await this.queue;
    this.store = null;
  }

  view(): SettingsView {
    const known = this.options.knownNodes?.() ?? { machines: [], stations: [] };
    return { ...this.meta, settings: settingsFromConfig(this.effective, known) };
  }

  /** Validates `input` over the config file, stores it as the next version and applies it. */
  update(input: unknown, version: number, by: string): Promise<SettingsUpdateResult> {
    const run = this.queue.then(() => this.doUpdate(input, version, by));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async doUpdate(input: unknown, version: number, by: string): Promise<SettingsUpdateResult> {
    const store = this.store;
    if (!store) throw new Error('settings service is not started');
    const check = applySettings(this.options.fileConfig, input);
    if (!check.ok) return { outcome: 'invalid', issues: check.issues };
    const saved = await store.save(check.settings, version, by, this.now());
    if (saved === 'conflict') return { outcome: 'conflict', view: this.view() };
    this.effective = check.config;
    this.meta = { version: saved.version, updatedAt: saved.updatedAt, updatedBy: saved.updatedBy };
    this.logger.info({ version: saved.version, by }, 'settings saved');
    await this.applyToTargets(check.settings);
    return { outcome: 'saved', view: this.view() };
  }

  private async applyToTargets(settings: RuntimeSettings): Promise<void> {
    for (const target of this.options.targets) {
      try {
        await target.reconfigure(this.effective, settings);
      } catch (err) {
        // The rest still get the new settings; the failing one keeps what it had.
        this.logger.error({ err, target: target.name }, 'could not apply new settings');
      }
    }
  }
}
