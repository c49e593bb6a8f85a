/**
 * Turns YAML text + MIERUKA_* environment + CLI overrides into one frozen, validated Config.
 * Every problem is reported at once, each with its path. No I/O here: callers read the file.
 */
import { parseDocument, YAMLError } from 'yaml';
import { ConfigSchema, SECRET_PATHS, type Config } from './config-schema.js';
import { MierukaError } from './errors.js';
import { redactDeep } from './redact.js';

export const ENV_PREFIX = 'MIERUKA_';
/** Env vars with this prefix that are not config fields. */
const NON_CONFIG_ENV = new Set(['MIERUKA_CONFIG']);

export type ConfigIssue = { path: string; message: string; source?: string };

export type ConfigSources = {
  /** YAML text of the config file, if any. */
  text?: string;
  /** Name of the file, for messages. */
  source?: string;
  env?: Record<string, string | undefined>;
  /** Highest precedence: command-line flags, already shaped like the config. */
  overrides?: Record<string, unknown>;
};

type Tree = Record<string, unknown>;

function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mergeInto(target: Tree, patch: Tree): Tree {
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const current = target[key];
    target[key] = isTree(current) && isTree(value) ? mergeInto({ ...current }, value) : value;
  }
  return target;
}

/**
 * Every key name the schema knows, by its spelling without case and underscores: camel-casing
 * `MAX_TOTAL_MB` gives `maxTotalMb`, but the key is `maxTotalMB` (and `REQUIRE_TLS`,
 * `requireTLS`), so env segments are looked up here first.
 */
function schemaKeyNames(schema: unknown): Map<string, string> {
  const names = new Map<string, string>();
  const seen = new Set<unknown>();
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    const def = (node as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
    if (!def) return;
    if (def.shape && typeof def.shape === 'object') {
      for (const [key, child] of Object.entries(def.shape)) {
        names.set(key.toLowerCase(), key);
        visit(child);
      }
    }
    // Wrappers (default, optional, pipe, …) and containers (record, array, union, tuple).
    for (const field of ['innerType', 'in', 'out', 'element', 'valueType', 'rest']) visit(def[field]);
    for (const field of ['options', 'items']) if (Array.isArray(def[field])) (def[field] as unknown[]).forEach(visit);
  };
  visit(schema);
  return names;
}

let configKeyNames: Map<string, string> | undefined;

/** `MIERUKA_HUB__DATA_DIR=/x` → { hub: { dataDir: '/x' } }: `__` separates levels, `_` joins words. */
export function envToTree(env: Record<string, string | undefined>): Tree {
  configKeyNames ??= schemaKeyNames(ConfigSchema);
  const keyNames = configKeyNames;
  const tree: Tree = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || NON_CONFIG_ENV.has(name) || raw === undefined) continue;
    const path = name
      .slice(ENV_PREFIX.length)
      .split('__')
      .map((seg) => keyNames.get(seg.toLowerCase().replace(/_/g, '')) ?? seg.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
    if (path.some((p) => p === '')) continue;
    let node = tree;
    for (const seg of path.slice(0, -1)) {
      if (!isTree(node[seg])) node[seg] = {};
      node = node[seg] as Tree;
    }
    node[path[path.length - 1] as string] = parseScalar(raw);
  }
  return tree;
}

function parseScalar(raw: string): unknown {
  // YAML scalars give numbers and booleans their natural types; anything else stays text.
  // Text YAML has doubts about (an unknown `!tag`, a bad directive) stays text, unprinted.
  try {
    const doc = parseDocument(raw, { logLevel: 'silent' });
    if (doc.errors.length > 0 || doc.warnings.length > 0) return raw;
    const v: unknown = doc.toJS();
    return v === null || typeof v === 'object' ? raw : v;
  } catch {
    return raw;
  }
}

/** Freezes an object tree (the config is never changed once validated). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export function parseConfig(sources: ConfigSources = {}): Readonly<Config> {
  const issues: ConfigIssue[] = [];
  let fromFile: Tree = {};
  if (sources.text !== undefined && sources.text.trim() !== '') {
    // Warnings (an unknown `!tag`, …) count as problems too: yaml's parse() would only print
    // them to stderr and go on with a guess.
    const yamlIssue = (err: unknown) => {
      const message = err instanceof YAMLError ? (err.message.split('\n')[0] ?? err.message) : String(err);
      issues.push({ path: '(yaml)', message, source: sources.source });
    };
    try {
      const parsed = parseDocument(sources.text, { prettyErrors: true, logLevel: 'silent' });
      const problems = [...parsed.errors, ...parsed.warnings];
      problems.forEach(yamlIssue);
      const doc: unknown = problems.length > 0 ? null : parsed.toJS();
      if (doc === null || doc === undefined) fromFile = {};
      else if (isTree(doc)) fromFile = doc;
      else issues.push({ path: '(root)', message: 'the file must hold a mapping (key: value lines)', source: sources.source });
    } catch (err) {
      yamlIssue(err);
    }
  }
  const merged = mergeInto(mergeInto(mergeInto({}, fromFile), envToTree(sources.env ?? {})), sources.overrides ?? {});
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      issues.push({ path: issue.path.join('.') || '(root)', message: issue.message, source: sources.source });
    }
  }
  if (issues.length > 0 || !result.success) {
    const lines = issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n');
    throw new MierukaError('CONFIG_INVALID', `configuration${sources.source ? ` in ${sources.source}` : ''} has ${issues.length} problem(s):\n${lines}`, {
      details: issues,
    });
  }
  return deepFreeze(result.data);
}

/**
 * A copy safe to log or print: the fields of SECRET_PATHS (webhook URLs whole: their token is
 * in the path) and every password-like field replaced by "***", credentials in URLs
 * (bridge.mqttUrl, stations.*.camera.url) masked.
 */
export function redactConfig(config: Config): unknown {
  const copy = structuredClone(config) as unknown as Tree;
  const redact = (node: unknown, path: readonly string[]): void => {
    const [head, ...rest] = path;
    if (head === undefined || node === null || typeof node !== 'object') return;
    // '*' stands for every element of an array or every key of a mapping.
    const keys = head === '*' ? Object.keys(node) : [head];
    for (const key of keys) {
      const container = node as Record<string, unknown>;
      if (rest.length === 0) {
        if (container[key] !== undefined) container[key] = '***';
      } else redact(container[key], rest);
    }
  };
  for (const path of SECRET_PATHS) redact(copy, path);
  return redactDeep(copy);
}
