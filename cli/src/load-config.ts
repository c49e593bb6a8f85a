/**
 * Finds and reads the config file, then hands text + environment + flags to parseConfig.
 * Order of precedence: flags > MIERUKA_* env > file > defaults.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { MierukaError, parseConfig, type Config } from '@mieruka/protocol';

export const DEFAULT_CONFIG_FILES = ['mieruka.yaml', 'mieruka.yml', '/etc/mieruka/mieruka.yaml'];

export type LoadConfigOptions = {
  /** Explicit --config path; must exist. */
  file?: string;
  env: Record<string, string | undefined>;
  overrides?: Record<string, unknown>;
  cwd?: string;
};

export function findConfigFile(options: Pick<LoadConfigOptions, 'file' | 'env' | 'cwd'>): string | undefined {
  const explicit = options.file ?? options.env.MIERUKA_CONFIG;
  if (explicit) return resolve(options.cwd ?? '.', explicit);
  return DEFAULT_CONFIG_FILES.map((f) => resolve(options.cwd ?? '.', f)).find((f) => existsSync(f));
}

export function loadConfig(options: LoadConfigOptions): { config: Readonly<Config>; file: string | undefined } {
  const file = findConfigFile(options);
  let text: string | undefined;
  if (file) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new MierukaError('CONFIG_UNREADABLE', `cannot read config file ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  const config = parseConfig({ text, source: file, env: options.env, overrides: options.overrides });
  return { config, file };
}
