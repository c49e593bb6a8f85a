#!/usr/bin/env node
/**
 * Writes docs/config-reference.md from the config schema itself, so the reference cannot drift:
 * types, defaults and bounds come from the zod schema at run time (as JSON Schema), the
 * descriptions from the `/** … *\/` comments beside each field in protocol/src/config-*.ts
 * (parsed with the TypeScript compiler). test/docs/config-reference.test.ts fails when the
 * committed file differs from what this prints.
 *
 *   node scripts/docs/config-reference.mjs          # rewrite docs/config-reference.md
 *   node scripts/docs/config-reference.mjs --check  # exit 1 when it is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { z } from 'zod';
import { ConfigSchema, SECRET_PATHS } from '@mieruka/protocol';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const REFERENCE_FILE = `${root}docs/config-reference.md`;
const SCHEMA_SOURCES = ['config-schema.ts', 'config-alerts.ts', 'config-fields.ts'].map((f) => `${root}protocol/src/${f}`);

/** Methods that return the same field with a rule or default added: its comments are the receiver's. */
const CHAINED = new Set(['default', 'prefault', 'optional', 'nullable', 'partial', 'transform', 'refine', 'superRefine', 'min', 'max', 'describe', 'meta', 'check', 'catch']);

/** `'hub.mqtt.port'` → the comment written above that field (or above the const it refers to). */
export function commentsBySchemaPath(files = SCHEMA_SOURCES) {
  const consts = new Map();
  const sources = files.map((file) => ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true));
  for (const source of sources) {
    for (const statement of source.statements) {
      if (!ts.isVariableStatement(statement)) continue;
      for (const decl of statement.declarationList.declarations) {
        if (ts.isIdentifier(decl.name) && decl.initializer) consts.set(decl.name.text, { init: decl.initializer, doc: docOf(statement) });
      }
    }
  }
  const out = new Map();
  const visit = (node, path, seen) => {
    if (ts.isParenthesizedExpression(node)) return visit(node.expression, path, seen);
    if (ts.isIdentifier(node)) {
      const target = consts.get(node.text);
      if (!target || seen.has(node.text)) return undefined;
      visit(target.init, path, new Set(seen).add(node.text));
      return target.doc;
    }
    if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression)) return undefined;
    const method = node.expression.name.text;
    const receiver = node.expression.expression;
    if (ts.isIdentifier(receiver) && receiver.text === 'z') {
      const [first, second] = node.arguments;
      if (['strictObject', 'object', 'looseObject'].includes(method) && first && ts.isObjectLiteralExpression(first)) {
        visitFields(first, path, seen);
      } else if (method === 'record' || method === 'partialRecord') {
        if (second) visit(second, `${path}.<name>`, seen);
      } else if (method === 'array') {
        if (first) visit(first, `${path}[]`, seen);
      } else if (method === 'preprocess') {
        if (second) visit(second, path, seen);
      }
      return undefined;
    }
    if (method === 'array' && node.arguments.length === 0) return visit(receiver, `${path}[]`, seen);
    if (CHAINED.has(method)) return visit(receiver, path, seen);
    return undefined;
  };
  const visitFields = (object, path, seen) => {
    for (const prop of object.properties) {
      // `{ ...ruleBase, afterMin: … }`: the shared fields of a const object literal.
      if (ts.isSpreadAssignment(prop) && ts.isIdentifier(prop.expression)) {
        const shared = consts.get(prop.expression.text)?.init;
        if (shared && ts.isObjectLiteralExpression(shared)) visitFields(shared, path, seen);
        continue;
      }
      if (!ts.isPropertyAssignment(prop) || !prop.name) continue;
      const key = ts.isIdentifier(prop.name) || ts.isStringLiteral(prop.name) ? prop.name.text : undefined;
      if (key === undefined) continue;
      const fieldPath = path === '' ? key : `${path}.${key}`;
      const inherited = visit(prop.initializer, fieldPath, seen);
      const doc = docOf(prop) ?? inherited;
      if (doc) out.set(fieldPath, doc);
    }
  };
  const schema = consts.get('ConfigSchema');
  if (!schema) throw new Error('ConfigSchema not found in protocol/src/config-schema.ts');
  visit(schema.init, '', new Set(['ConfigSchema']));
  return out;
}

function docOf(node) {
  const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  const last = docs[docs.length - 1];
  if (!last || last.comment === undefined) return undefined;
  const text = typeof last.comment === 'string' ? last.comment : last.comment.map((c) => c.text).join('');
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** One row per field: walks the JSON Schema of the config as a user writes it (input side). */
export function fieldsOf(jsonSchema) {
  const rows = [];
  // A section in a map or list shaped exactly like one already listed (per-machine rule
  // overrides) is one row pointing at it.
  const sectionsSeen = new Map();
  const walk = (schema, path, inRecordOrList) => {
    const node = unwrap(schema);
    const properties = node.properties;
    if (properties) {
      const shape = JSON.stringify(properties);
      const twins = sectionsSeen.get(shape) ?? [];
      sectionsSeen.set(shape, [...twins, path]);
      if (twins.length > 0 && inRecordOrList) {
        const last = (p) => p.slice(p.lastIndexOf('.') + 1);
        const twin = twins.find((t) => last(t) === last(path)) ?? twins[0];
        rows.push({ ...row(schema, node, path, inRecordOrList, 'section'), sameAs: twin });
        return;
      }
      if (path !== '') rows.push(row(schema, node, path, inRecordOrList, 'section'));
      for (const [key, child] of Object.entries(properties)) walk(child, path === '' ? key : `${path}.${key}`, inRecordOrList);
      return;
    }
    if (node.type === 'object' && node.additionalProperties && typeof node.additionalProperties === 'object') {
      rows.push(row(schema, node, path, inRecordOrList, 'map'));
      walk(node.additionalProperties, `${path}.<name>`, true);
      return;
    }
    if (node.type === 'array' && node.items && !Array.isArray(node.items) && unwrap(node.items).properties) {
      rows.push(row(schema, node, path, inRecordOrList, 'list'));
      walk(node.items, `${path}[]`, true);
      return;
    }
    rows.push(row(schema, node, path, inRecordOrList, 'value'));
  };
  walk(jsonSchema, '', false);
  return rows;
}

/** anyOf [X, null] (nullable) and allOf [X] wrappers hide the field's own shape. */
function unwrap(schema) {
  if (Array.isArray(schema.allOf) && schema.allOf.length === 1) return unwrap({ ...schema.allOf[0], ...omit(schema, 'allOf') });
  if (Array.isArray(schema.anyOf)) {
    const notNull = schema.anyOf.filter((s) => s.type !== 'null');
    if (notNull.length === 1) return unwrap({ ...notNull[0], ...omit(schema, 'anyOf'), nullable: true });
  }
  return schema;
}

function omit(object, key) {
  const { [key]: _, ...rest } = object;
  return rest;
}

function row(schema, node, path, inRecordOrList, kind) {
  return {
    path,
    kind,
    type: typeOf(node),
    default: kind === 'section' ? undefined : 'default' in schema ? schema.default : node.default,
    allowed: allowedOf(node),
    env: inRecordOrList ? undefined : envName(path),
  };
}

function typeOf(node) {
  if (Array.isArray(node.anyOf)) return [...new Set(node.anyOf.map((s) => typeOf(unwrap(s))))].join(' or ');
  if (node.enum) return 'enum';
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.type === 'array') {
    if (Array.isArray(node.prefixItems)) return `[${node.prefixItems.map((s) => typeOf(unwrap(s))).join(', ')}]`;
    return node.items ? `list of ${typeOf(unwrap(node.items))}` : 'list';
  }
  if (node.type === 'object') return node.properties ? 'section' : 'map';
  if (node.format === 'uri') return 'URL';
  const base = node.type ?? 'any';
  return node.nullable ? `${base} or null` : base;
}

function allowedOf(node) {
  const parts = [];
  if (node.enum) parts.push(node.enum.map((v) => `\`${v}\``).join(', '));
  // zod's int() carries the safe-integer bounds: they say nothing to a reader.
  const minimum = node.minimum === Number.MIN_SAFE_INTEGER ? undefined : node.minimum;
  const maximum = node.maximum === Number.MAX_SAFE_INTEGER ? undefined : node.maximum;
  if (minimum !== undefined || maximum !== undefined) parts.push(`${minimum ?? '…'} – ${maximum ?? '…'}`);
  if (node.exclusiveMinimum !== undefined) parts.push(`> ${node.exclusiveMinimum}`);
  if (node.minLength !== undefined && node.minLength > 1) parts.push(`≥ ${node.minLength} characters`);
  if (node.maxLength !== undefined) parts.push(`≤ ${node.maxLength} characters`);
  if (node.minItems !== undefined && node.type === 'array' && !node.prefixItems) parts.push(`≥ ${node.minItems} items`);
  if (node.maxItems !== undefined && node.type === 'array' && !node.prefixItems) parts.push(`≤ ${node.maxItems} items`);
  if (node.pattern !== undefined) parts.push(`pattern \`${node.pattern}\``);
  return parts.join('; ');
}

/** The inverse of protocol's envToTree: `hub.mqtt.aclFile` → `MIERUKA_HUB__MQTT__ACL_FILE`. */
export function envName(path) {
  return `MIERUKA_${path
    .split('.')
    .map((seg) => seg.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
    .join('__')}`;
}

function cell(text) {
  return String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function shown(value) {
  if (value === undefined) return '';
  const json = JSON.stringify(value);
  return json.length > 60 ? `see \`${'config-schema.ts'}\`` : `\`${json}\``;
}

export function renderConfigReference() {
  const comments = commentsBySchemaPath();
  const jsonSchema = z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
  const rows = fieldsOf(jsonSchema);
  // What an empty file gives: also the defaults filled in by transforms (the alert rules).
  const effective = ConfigSchema.parse({});
  for (const r of rows) {
    if (r.kind === 'section' || r.path.includes('<name>') || r.path.includes('[]')) continue;
    const value = r.path.split('.').reduce((node, key) => (node === undefined ? undefined : node[key]), effective);
    if (value !== undefined) r.default = value;
  }
  const secretPaths = new Set(SECRET_PATHS.map((p) => p.join('.')));
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated by `npm run docs:config` from protocol/src/config-*.ts; do not edit by hand.',
    '     test/docs/config-reference.test.ts fails when this file is stale. -->',
    '',
    'Every key of `mieruka.yaml`, with its type, default and allowed values, and the environment',
    'variable that overrides it (`MIERUKA_` + the path, `__` between levels, `_` between words; see',
    '[config.md](config.md) for the file, precedence and an annotated example). `<name>` stands for',
    'an id you choose (a machine, a station); `[]` for each item of a list. Keys inside a map or',
    'list have no environment variable: set those in the file.',
    '',
  ];
  let section = '';
  for (const r of rows) {
    const top = r.path.split(/[.[]/)[0];
    if (top !== section) {
      section = top;
      lines.push(`## \`${top}\``, '', '| key | type | default | allowed | description |', '|---|---|---|---|---|');
    }
    const secret = secretPaths.has(r.path.replace(/\.<name>|\[\]/g, '.*')) && !(comments.get(r.path) ?? '').startsWith('Secret');
    const doc = [secret ? 'Secret: never logged.' : '', comments.get(r.path) ?? '', r.sameAs ? `Same keys as \`${r.sameAs}\`.` : '']
      .filter(Boolean)
      .join(' ');
    const env = r.env && r.kind === 'value' ? `<br>env \`${r.env}\`` : '';
    lines.push(`| \`${cell(r.path)}\`${env} | ${cell(r.type)} | ${cell(shown(r.default))} | ${cell(r.allowed)} | ${cell(doc)} |`);
  }
  // Each table ends with a blank line before the next heading.
  return `${lines.join('\n').replace(/\|\n## /g, '|\n\n## ')}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = renderConfigReference();
  if (process.argv.includes('--check')) {
    const current = readFileSync(REFERENCE_FILE, 'utf8');
    if (current !== text) {
      console.error('docs/config-reference.md is stale: run `npm run docs:config` and commit it');
      process.exit(1);
    }
    console.log('docs/config-reference.md is up to date');
  } else {
    writeFileSync(REFERENCE_FILE, text);
    console.log(`wrote ${REFERENCE_FILE}`);
  }
}
