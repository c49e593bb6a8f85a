/**
 * `hub.mqtt.aclFile`: extra MQTT rules in Mosquitto's acl_file syntax. The hub checks them
 * after its built-in rules (acl.ts), so they narrow what those allow and never widen it.
 *
 *   # comment
 *   topic read public/#            ← before any `user` line: anonymous clients
 *   user grafana
 *   topic read mieruka/v1/factory/#
 *   topic deny mieruka/v1/factory/secret-mill/#
 *   pattern readwrite flows/%u/#   ← every client (%u user name, %c client id)
 *
 * Access is read, write, readwrite (the default) or deny. As in Mosquitto, a client may do
 * only what some rule grants: its own `topic` lines (or the anonymous ones) and every
 * `pattern` apply; a matching `deny` wins over any grant, wherever it stands (Mosquitto puts
 * deny rules first). A `pattern` with %u does not apply to anonymous clients, and one whose
 * user name or client id would contain + # or / does not apply either.
 */
import { readFile } from 'node:fs/promises';
import { MierukaError } from '@mieruka/protocol';
import type { MqttAclRules } from './mqtt-auth.js';

type Access = 'read' | 'write' | 'readwrite' | 'deny';
type Rule = { access: Access; topic: string; pattern: boolean };

const ACCESS = new Set<string>(['read', 'write', 'readwrite', 'deny']);

/** True when `topic` (a name) matches `filter` (MQTT 3.1.1 §4.7). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  // [MQTT-4.7.2-1] wildcards at the first level do not match $-topics.
  if (topic.startsWith('$') && (f[0] === '#' || f[0] === '+')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

/** True when every topic `filter` can match is matched by `rule` too. */
export function filterCovers(rule: string, filter: string): boolean {
  const r = rule.split('/');
  const f = filter.split('/');
  for (let i = 0; i < r.length; i++) {
    if (r[i] === '#') return true;
    if (i >= f.length) return false;
    if (r[i] === '+' ? f[i] === '#' : r[i] !== f[i]) return false;
  }
  return r.length === f.length;
}

export class AclFile implements MqttAclRules {
  private readonly anonymous: Rule[];
  private readonly users: Map<string, Rule[]>;
  private readonly patterns: Rule[];

  private constructor(anonymous: Rule[], users: Map<string, Rule[]>, patterns: Rule[]) {
    this.anonymous = anonymous;
    this.users = users;
    this.patterns = patterns;
  }

  /** Parses the file's text; a line it does not understand is a CONFIG_INVALID error naming it. */
  static parse(text: string, source = 'ACL file'): AclFile {
    const anonymous: Rule[] = [];
    const users = new Map<string, Rule[]>();
    const patterns: Rule[] = [];
    let current = anonymous;
    const lines = text.split(/\r?\n/);
    lines.forEach((raw, index) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const fail = (why: string): never => {
        throw new MierukaError('CONFIG_INVALID', `hub.mqtt.aclFile ${source}, line ${index + 1}: ${why}: "${line.slice(0, 120)}"`);
      };
      const space = line.search(/\s/);
      const keyword = space === -1 ? line : line.slice(0, space);
      const rest = space === -1 ? '' : line.slice(space).trim();
      if (keyword === 'user') {
        if (rest === '') fail('user needs a name');
        current = users.get(rest) ?? [];
        users.set(rest, current);
        return;
      }
      if (keyword !== 'topic' && keyword !== 'pattern') return fail('expected user, topic or pattern');
      const parts = rest.split(/\s+/);
      let access: Access = 'readwrite';
      let topic = rest;
      if (parts.length > 1 && ACCESS.has(parts[0] ?? '')) {
        access = parts[0] as Access;
        topic = rest.slice(parts[0]!.length).trim();
      } else if (parts.length > 1) return fail('access must be read, write, readwrite or deny');
      if (topic === '') fail(`${keyword} needs a topic`);
      if (!validFilter(topic)) fail('not a valid topic filter (# only as the last level, + alone in its level)');
      const rule = { access, topic, pattern: keyword === 'pattern' };
      if (rule.pattern) patterns.push(rule);
      else current.push(rule);
    });
    return new AclFile(anonymous, users, patterns);
  }

  allows(username: string | null, clientId: string, topic: string, access: 'read' | 'write'): boolean {
    const rules = [...this.rulesFor(username, clientId)].filter((rule) => topicMatches(rule.topic, topic));
    if (rules.some((rule) => rule.access === 'deny')) return false;
    return rules.some((rule) => rule.access === 'readwrite' || rule.access === access);
  }

  allowsSubscribe(username: string | null, clientId: string, filter: string): boolean {
    // A deny that covers the whole filter refuses it; one that covers part of it is applied
    // to each message on delivery (allows(…, 'read')).
    const rules = [...this.rulesFor(username, clientId)].filter((rule) => filterCovers(rule.topic, filter));
    if (rules.some((rule) => rule.access === 'deny')) return false;
    return rules.some((rule) => rule.access === 'read' || rule.access === 'readwrite');
  }

  private *rulesFor(username: string | null, clientId: string): Generator<Rule> {
    yield* username === null ? this.anonymous : (this.users.get(username) ?? []);
    for (const rule of this.patterns) {
      if (rule.topic.includes('%u') && (username === null || /[+#/]/.test(username))) continue;
      if (rule.topic.includes('%c') && /[+#/]/.test(clientId)) continue;
      yield { ...rule, topic: rule.topic.replaceAll('%u', username ?? '').replaceAll('%c', clientId) };
    }
  }
}

function validFilter(filter: string): boolean {
  const levels = filter.split('/');
  return levels.every((level, i) => (level.includes('#') ? level === '#' && i === levels.length - 1 : !level.includes('+') || level === '+'));
}

/** Reads and parses the ACL file at start-up; unreadable or malformed is CONFIG_INVALID. */
export async function loadAclFile(path: string): Promise<AclFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new MierukaError('CONFIG_INVALID', `hub.mqtt.aclFile: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return AclFile.parse(text, path);
}
