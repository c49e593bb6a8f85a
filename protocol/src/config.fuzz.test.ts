/**
 * Fuzzing (fast-check) of parseConfig: arbitrary YAML text, YAML of arbitrary values,
 * near-valid configs and MIERUKA_* environment overrides must give a frozen config or one
 * CONFIG_INVALID error listing every problem with its path — never another throw, never a hang.
 * Seeds are fixed (FUZZ_SEED overrides); fast-check prints seed and path of a failure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig, type ConfigSources } from './config-parse.js';
import { MierukaError } from './errors.js';

const seed = Number(process.env.FUZZ_SEED ?? 14_009);
const params = (numRuns: number) => ({ seed, numRuns });

/** A valid config to start from (the sections the hub, the bridge and the agents read). */
const VALID = {
  site: 'factory',
  timezone: 'Asia/Tokyo',
  hub: { dataDir: '/var/lib/mieruka', mqtt: { host: '127.0.0.1', port: 1883 }, http: { host: '0.0.0.0', port: 8080 } },
  bridge: { mqttUrl: 'mqtt://127.0.0.1:1883', baudRate: 115200 },
  machines: { 'mill-1': { name: 'Mill', offBelowA: 0.2, runningAboveA: 1.5 } },
  stations: { 'bench-1': { slots: ['09:00', '17:00'] } },
  shifts: [{ name: 'day', start: '08:00', end: '17:00', days: ['mon'] }],
  alerts: { recipients: { default: ['a@example.com'] } },
};

/** YAML that parsers have choked on: aliases, merge keys, tags, deep nesting, odd keys. */
const TRICKY_YAML = [
  'a: &a [1, 2]\nb: *a\nc: *a\n',
  `${Array.from({ length: 12 }, (_, i) => `l${i}: &l${i} [${i === 0 ? '1,1,1,1,1,1,1,1,1' : Array(9).fill(`*l${i - 1}`).join(',')}]`).join('\n')}\n`,
  'base: &b {site: factory}\nother:\n  <<: *b\n',
  '__proto__: {site: evil}\nsite: factory\n',
  'site: factory\nhub:\n  __proto__: {port: 1}\n',
  'constructor: {prototype: {polluted: true}}\n',
  'site: !!binary aGVsbG8=\n',
  'site: !!set {a, b}\n',
  'site: !!omap [a: 1]\n',
  'site: !unknown-tag x\n',
  '? [complex, key]\n: value\n',
  `${'['.repeat(2000)}${']'.repeat(2000)}\n`,
  `${'a:\n '.repeat(500)}b\n`,
  '%YAML 1.1\n---\nsite: yes\n',
  '---\nsite: a\n---\nsite: b\n',
  'site: factory\nsite: again\n',
  '\uFEFFsite: factory\n',
  'site: "\\u0000"\n',
  'machines: !!null\n',
  '- just\n- a list\n',
  '"only a string"\n',
  '123\n',
  'hub: {mqtt: {port: 1e999}}\n',
  'hub: {mqtt: {port: .nan}}\n',
  'shifts: 0x10\n',
  'machines: {mill-1: {offBelowA: .inf}}\n',
  '\t\tsite: tabbed\n',
];

/** Every dotted path of the valid config, for near-valid replacements. */
function paths(tree: unknown, prefix: string[] = []): string[][] {
  if (typeof tree !== 'object' || tree === null) return [prefix];
  return [prefix, ...Object.entries(tree).flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

function setPath(tree: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string, ...string[]];
  const node = typeof tree === 'object' && tree !== null ? tree : {};
  return { ...(node as object), [head]: setPath((node as Record<string, unknown>)[head], rest, value) };
}

const anyValue = fc.oneof(fc.jsonValue(), fc.constantFrom(-1, 0, 65536, 1e400, '', 'Not/A_Zone', 'x'.repeat(300), null, [], {}, true));
const nearValidText = fc.tuple(fc.constantFrom(...paths(VALID).filter((p) => p.length > 0)), anyValue).map(([path, value]) => stringify(setPath(VALID, path, value)));
const yamlText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(...TRICKY_YAML),
  fc.anything({ withNullPrototype: true, withMap: true, withSet: true, withBoxedValues: true }).map((v) => stringify(v) ?? ''),
  nearValidText,
);

const ENV_NAMES = [
  'MIERUKA_SITE',
  'MIERUKA_TIMEZONE',
  'MIERUKA_HUB__DATA_DIR',
  'MIERUKA_HUB__MQTT__PORT',
  'MIERUKA_HUB__HTTP__HOST',
  'MIERUKA_BRIDGE__MQTT_URL',
  'MIERUKA_DASHBOARD__TRUST_PROXY',
  'MIERUKA_MACHINES__MILL_1__OFF_BELOW_A',
  'MIERUKA_SHIFTS',
  'MIERUKA___PROTO__',
  'MIERUKA_CONSTRUCTOR__PROTOTYPE',
  'MIERUKA_HUB____PROTO____X',
  'MIERUKA_',
  'MIERUKA__',
  'MIERUKA_HUB__',
];
const env = fc.dictionary(
  fc.oneof(fc.constantFrom(...ENV_NAMES), fc.string({ maxLength: 30 }).map((s) => `MIERUKA_${s}`)),
  fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('1883', 'true', '[1,2]', '{a: 1}', '*a', '!!binary x', '0x1F', '1e999', '')),
  { maxKeys: 4 },
);

/** The whole promise: a frozen config, or CONFIG_INVALID with every problem and its path. */
function expectConfigOrInvalid(sources: ConfigSources): void {
  let config: unknown;
  try {
    config = parseConfig(sources);
  } catch (err) {
    expect(err).toBeInstanceOf(MierukaError);
    const e = err as MierukaError;
    expect(e.code).toBe('CONFIG_INVALID');
    const details = e.details as Array<{ path: unknown; message: unknown }>;
    expect(details.length).toBeGreaterThan(0);
    for (const d of details) {
      expect(typeof d.path).toBe('string');
      expect(typeof d.message).toBe('string');
    }
    return;
  }
  expect(Object.isFrozen(config)).toBe(true);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

describe('fuzz: parseConfig', () => {
  it('arbitrary and near-valid YAML → a config or CONFIG_INVALID listing the problems', () => {
    fc.assert(
      fc.property(yamlText, (text) => expectConfigOrInvalid({ text, source: 'fuzz.yaml' })),
      params(600),
    );
  });

  it('environment overrides over a valid file → a config or CONFIG_INVALID', () => {
    const text = stringify(VALID);
    fc.assert(
      fc.property(env, (vars) => expectConfigOrInvalid({ text, env: vars })),
      params(600),
    );
  });

  // Found by the properties above (kept as examples): yaml's parse() printed these to stderr
  // as warnings and went on with a guess (the tag dropped, `site: x`).
  it('an unknown YAML tag or directive is a problem of the file, not a warning on stderr', () => {
    const warnings: unknown[] = [];
    const onWarning = (w: unknown) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      for (const text of ['site: !unknown-tag x\n', '%FOO bar\n---\nsite: factory\n']) {
        let error: unknown;
        try {
          parseConfig({ text, source: 'example.yaml' });
        } catch (err) {
          error = err;
        }
        expect(error).toBeInstanceOf(MierukaError);
        expect((error as MierukaError).details).toEqual([expect.objectContaining({ path: '(yaml)', source: 'example.yaml' })]);
      }
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it('an environment value with an unknown YAML tag stays text', () => {
    const config = parseConfig({ text: stringify(VALID), env: { MIERUKA_HUB__DATA_DIR: '!data dir' } });
    expect(config.hub.dataDir).toBe('!data dir');
  });

  it('a valid file stays valid', () => {
    expect(parseConfig({ text: stringify(VALID) }).site).toBe('factory');
  });
});
