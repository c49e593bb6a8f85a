/** A doctor context for check tests: a config parsed by the real schema, the real PATH, no host commands unless given. */
import { parseConfig, type ConfigInput } from '@mieruka/protocol';
import type { ConfiguredContext } from '../doctor/check.js';

export function doctorContext(input: ConfigInput, extra: Partial<ConfiguredContext> = {}): ConfiguredContext {
  const config = parseConfig({ text: JSON.stringify(input) });
  return {
    source: { ok: true, config, file: undefined },
    config,
    configFile: undefined,
    cwd: process.cwd(),
    env: { PATH: process.env.PATH },
    runCommand: async () => ({ kind: 'missing' }),
    serialListenMs: 1500,
    ...extra,
  };
}

export const neverAborted = new AbortController().signal;
