/**
 * Fuzzing (fast-check) of the cli's config loader on real files: arbitrary bytes (not even
 * UTF-8), YAML of arbitrary values, `MIERUKA_CONFIG` and `MIERUKA_*` overrides → a config, or a
 * MierukaError CONFIG_INVALID (listing the problems) / CONFIG_UNREADABLE; never another throw.
 * Seeds are fixed (FUZZ_SEED overrides); fast-check prints seed and path of a failure.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { isMierukaError } from '@mieruka/protocol';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { loadConfig } from './load-config.js';

const seed = Number(process.env.FUZZ_SEED ?? 14_009);

describe('fuzz: loadConfig', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  beforeAll(async () => {
    dir = await makeTempDir();
    await mkdir(join(dir.path, 'a-directory'));
  });
  afterAll(async () => dir?.remove());

  const content = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    fc.string().map((s) => Buffer.from(s)),
    fc.anything({ withNullPrototype: true, withMap: true, withSet: true }).map((v) => Buffer.from(stringify(v) ?? '')),
    fc.constantFrom('site: factory\n', 'site: [\n', 'site: !x y\n', '\uFEFFsite: factory\n', 'hub:\n  mqtt:\n    port: 99999\n').map((s) => Buffer.from(s)),
  );
  const env = fc.dictionary(
    fc.constantFrom('MIERUKA_SITE', 'MIERUKA_HUB__MQTT__PORT', 'MIERUKA_HUB__HTTP__PORT', 'MIERUKA_TIMEZONE', 'MIERUKA_DASHBOARD__TRUST_PROXY', 'MIERUKA_X'),
    fc.string({ maxLength: 20 }),
    { maxKeys: 3 },
  );
  /** The config file: the one written, one that is missing, or a directory. */
  const which = fc.constantFrom('file', 'missing', 'a-directory', 'via-env');

  it('any file, environment and path → a config or a coded config error', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(content, env, which, async (bytes, vars, kind) => {
        const file = join(dir.path, `c${n++}.yaml`);
        await writeFile(file, bytes);
        const path = kind === 'file' || kind === 'via-env' ? file : join(dir.path, kind);
        const options = kind === 'via-env' ? { env: { ...vars, MIERUKA_CONFIG: path }, cwd: dir.path } : { file: path, env: vars, cwd: dir.path };
        try {
          const { config } = loadConfig(options);
          expect(Object.isFrozen(config)).toBe(true);
        } catch (err) {
          if (!isMierukaError(err, 'CONFIG_INVALID') && !isMierukaError(err, 'CONFIG_UNREADABLE')) throw err;
          if (isMierukaError(err, 'CONFIG_INVALID')) expect((err.details as unknown[]).length).toBeGreaterThan(0);
        }
      }),
      { seed, numRuns: 200 },
    );
  });
});
