/**
 * docs/config-reference.md is generated from the schema (scripts/docs/config-reference.mjs):
 * this fails when someone changes the schema and forgets `npm run docs:config`, and checks
 * that what the page says (environment names, defaults, comments) matches the real loader.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigSchema, envToTree } from '@mieruka/protocol';
// @ts-expect-error: a plain ES module script without types
import { commentsBySchemaPath, envName, fieldsOf, REFERENCE_FILE, renderConfigReference } from '../../scripts/docs/config-reference.mjs';
import { z } from 'zod';

type Row = { path: string; kind: string; env?: string; default?: unknown };

describe('docs/config-reference.md', () => {
  it('is what the generator prints from the current schema (run `npm run docs:config` when this fails)', () => {
    expect(readFileSync(REFERENCE_FILE, 'utf8')).toBe(renderConfigReference());
  });

  it('names environment variables the config loader maps back to the same path', () => {
    const rows: Row[] = fieldsOf(z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }));
    const withEnv = rows.filter((r) => r.env !== undefined && r.kind === 'value');
    expect(withEnv.length).toBeGreaterThan(60);
    for (const r of withEnv) {
      let node: unknown = envToTree({ [r.env as string]: 'x' });
      for (const key of r.path.split('.')) node = (node as Record<string, unknown>)[key];
      expect(node, r.path).toBe('x');
    }
    expect(envName('hub.mqtt.aclFile')).toBe('MIERUKA_HUB__MQTT__ACL_FILE');
  });

  it('lists every field an empty config fills in, with that default', () => {
    const text = readFileSync(REFERENCE_FILE, 'utf8');
    const effective = ConfigSchema.parse({}) as Record<string, unknown>;
    const leaves: [string, unknown][] = [];
    const walk = (node: unknown, path: string) => {
      if (node !== null && typeof node === 'object' && !Array.isArray(node) && Object.keys(node).length > 0) {
        for (const [k, v] of Object.entries(node)) walk(v, path === '' ? k : `${path}.${k}`);
      } else leaves.push([path, node]);
    };
    walk(effective, '');
    expect(leaves.length).toBeGreaterThan(50);
    for (const [path, value] of leaves) {
      const line = text.split('\n').find((l) => l.startsWith(`| \`${path}\``));
      expect(line, path).toBeDefined();
      const shown = JSON.stringify(value);
      if (shown.length <= 60) expect(line, path).toContain(`\`${shown}\``);
    }
  });

  it('takes descriptions from the comments beside the fields, through shared consts and spreads', () => {
    const comments: Map<string, string> = commentsBySchemaPath();
    expect(comments.get('machines.<name>.offBelowA')).toMatch(/off/);
    expect(comments.get('hub.mqtt.wsPath')).toMatch(/WebSocket/);
    // From `{ ...ruleBase }` in config-alerts.ts and a const's own comment.
    expect(comments.get('alerts.rules.sensorOffline.severity')).toMatch(/severity|tower/i);
    expect(comments.get('stations.<name>.light')).toMatch(/LED/);
  });
});
