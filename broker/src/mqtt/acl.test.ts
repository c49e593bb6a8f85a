/** The built-in MQTT rules and the ACL file, as pure functions (the hub's use of them: mqtt-auth.test.ts). */
import { describe, expect, it } from 'vitest';
import { isMierukaError, parseConfig } from '@mieruka/protocol';
import { filtersOverlap, isAgentClientIdOf, mayPublish, mayRead, maySubscribe, type MqttPrincipal } from './acl.js';
import { AclFile, filterCovers, topicMatches } from './acl-file.js';

const node: MqttPrincipal = { kind: 'node', username: 'factory/mill-1', site: 'factory', node: 'mill-1' };
const observer: MqttPrincipal = { kind: 'observer', username: 'grafana' };
const anonLocal: MqttPrincipal = { kind: 'anonymous', loopback: true };
const anonLan: MqttPrincipal = { kind: 'anonymous', loopback: false };
const viewer: MqttPrincipal = { kind: 'dashboard', username: 'suzuki', role: 'viewer' };
const admin: MqttPrincipal = { kind: 'dashboard', username: 'boss', role: 'admin' };

describe('built-in rules', () => {
  it('publish: a node only its own readings; anonymous readings of any node; admins commands only; never $SYS nor what the hub publishes', () => {
    const rows: Array<[string, boolean[]]> = [
      // topic: node, observer, anon, viewer, admin
      ['mieruka/v1/factory/mill-1/state', [true, false, true, false, false]],
      ['mieruka/v1/factory/mill-2/state', [false, false, true, false, false]],
      ['mieruka/v1/other/mill-1/state', [false, false, true, false, false]],
      ['mieruka/v1/factory/mill-1/cmd/patlite', [false, false, false, false, true]],
      ['mieruka/v1/factory/mill-1/cmd', [false, false, false, false, true]],
      ['mieruka/v1/factory/mill-1', [false, false, true, false, false]],
      ['mieruka/v1/factory/mill-1/utilization', [false, false, false, false, false]],
      ['mieruka/v1/factory/mill-1/utilization/x', [true, false, true, false, false]],
      ['homeassistant/sensor/mieruka/factory_mill-1_state/config', [false, false, false, false, false]],
      ['ha/site-a/sensor/mieruka/factory_mill-1_state/config', [false, false, false, false, false]],
      ['homeassistant/status', [true, true, true, true, true]],
      ['homeassistant/sensor/other/x/config', [true, true, true, true, true]],
      ['node-red/flow', [true, true, true, true, true]],
      ['mieruka/v2/x', [true, true, true, true, true]],
      ['$SYS/broker/x', [false, false, false, false, false]],
    ];
    for (const [topic, expected] of rows) {
      expect([node, observer, anonLocal, viewer, admin].map((p) => mayPublish(p, topic)), topic).toEqual(expected);
    }
    expect(mayPublish(admin, 'mieruka/v1/factory/mill-1/cmd/thresholds', true)).toBe(false);
  });

  it('read: a node only its own commands; $SYS not for anonymous clients from the LAN', () => {
    expect(mayRead(node, 'mieruka/v1/factory/mill-1/cmd/info')).toBe(true);
    expect(mayRead(node, 'mieruka/v1/factory/mill-2/cmd/info')).toBe(false);
    expect(mayRead(node, 'mieruka/v1/factory/mill-1/state')).toBe(false);
    expect(mayRead(node, 'other/topic')).toBe(true);
    for (const p of [observer, anonLocal, anonLan, viewer]) expect(mayRead(p, 'mieruka/v1/factory/mill-2/state')).toBe(true);
    // Home Assistant connects as an observer: discovery configs and the hub's utilization topic.
    for (const topic of ['homeassistant/sensor/mieruka/factory_mill-1_state/config', 'mieruka/v1/factory/mill-1/utilization']) {
      expect(mayRead(observer, topic), topic).toBe(true);
      expect(maySubscribe(observer, topic.replace(/\/[^/]+\/config$/, '/+/config')), topic).toBe(true);
    }
    expect([node, observer, anonLocal, anonLan, viewer].map((p) => mayRead(p, '$SYS/abc/clients'))).toEqual([true, true, true, false, true]);
  });

  it('subscribe: refused when nothing the filter matches is readable; broad filters are granted', () => {
    expect(maySubscribe(node, 'mieruka/v1/factory/mill-1/cmd/+')).toBe(true);
    expect(maySubscribe(node, 'mieruka/v1/+/+/cmd/#')).toBe(true);
    expect(maySubscribe(node, 'mieruka/v1/factory/mill-2/cmd/+')).toBe(false);
    expect(maySubscribe(node, 'mieruka/v1/factory/+/state')).toBe(false);
    expect(maySubscribe(node, '#')).toBe(true);
    expect(maySubscribe(anonLan, '$SYS/#')).toBe(false);
    expect(maySubscribe(observer, '$SYS/#')).toBe(true);
    expect(filtersOverlap('a/+/c', 'a/b/#')).toBe(true);
    expect(filtersOverlap('a/b', 'a/b/c')).toBe(false);
  });

  it('agent client ids: mieruka-<agent>-<site>-<node>', () => {
    expect(isAgentClientIdOf('mieruka-bridge-factory-mill-1', 'factory', 'mill-1')).toBe(true);
    expect(isAgentClientIdOf('mieruka-patlite-relay-factory-mill-1', 'factory', 'mill-1')).toBe(true);
    expect(isAgentClientIdOf('MIERUKA-bridge-factory-mill-1', 'factory', 'mill-1')).toBe(true);
    expect(isAgentClientIdOf('mieruka-factory-mill-1', 'factory', 'mill-1')).toBe(false);
    expect(isAgentClientIdOf('mieruka-bridge-factory-mill-10', 'factory', 'mill-1')).toBe(false);
    expect(isAgentClientIdOf('x-bridge-factory-mill-1', 'factory', 'mill-1')).toBe(false);
  });
});

describe('ACL file (Mosquitto syntax)', () => {
  const acl = AclFile.parse(
    [
      '# comment',
      '',
      'topic read public/#',
      'user grafana',
      'topic mieruka/v1/#',
      'topic deny mieruka/v1/factory/secret/#',
      'user node-red',
      'topic write flows/out',
      'pattern read clients/%c/#',
      'pattern readwrite users/%u/#',
    ].join('\n'),
  );

  it('anonymous rules come before any user line; a user gets its own lines and every pattern', () => {
    expect(acl.allows(null, 'c1', 'public/x', 'read')).toBe(true);
    expect(acl.allows(null, 'c1', 'public/x', 'write')).toBe(false);
    expect(acl.allows('grafana', 'c1', 'public/x', 'read')).toBe(false);
    expect(acl.allows('grafana', 'c1', 'mieruka/v1/factory/mill-1/state', 'write')).toBe(true);
    expect(acl.allows('node-red', 'c1', 'flows/out', 'write')).toBe(true);
    expect(acl.allows('node-red', 'c1', 'flows/out', 'read')).toBe(false);
  });

  it('deny wins wherever it stands; %u and %c substitute (never for anonymous %u, never with wildcards)', () => {
    expect(acl.allows('grafana', 'c1', 'mieruka/v1/factory/secret/state', 'read')).toBe(false);
    expect(acl.allowsSubscribe('grafana', 'c1', 'mieruka/v1/factory/secret/#')).toBe(false);
    expect(acl.allowsSubscribe('grafana', 'c1', 'mieruka/v1/#')).toBe(true);
    expect(acl.allows('node-red', 'nr-1', 'clients/nr-1/x', 'read')).toBe(true);
    expect(acl.allows('node-red', 'nr-1', 'clients/nr-2/x', 'read')).toBe(false);
    expect(acl.allows('node-red', 'c', 'users/node-red/x', 'write')).toBe(true);
    expect(acl.allows(null, 'c', 'users//x', 'write')).toBe(false);
    expect(acl.allows(null, '#', 'clients/#/x', 'read')).toBe(false);
  });

  it('a malformed line is CONFIG_INVALID with its line number', () => {
    for (const [text, why] of [
      ['user a\ntopic maybe a/b', /line 2: access must be/],
      ['topic read a/#/b', /line 1: not a valid topic filter/],
      ['\n\nusr a', /line 3: expected user, topic or pattern/],
      ['user', /line 1: user needs a name/],
    ] as const) {
      let err: unknown;
      try {
        AclFile.parse(text);
      } catch (e) {
        err = e;
      }
      expect(isMierukaError(err, 'CONFIG_INVALID')).toBe(true);
      expect((err as Error).message).toMatch(why);
    }
  });

  it('matching follows MQTT 3.1.1 §4.7 ($-topics are not matched by a leading wildcard)', () => {
    expect(topicMatches('a/+/c', 'a/b/c')).toBe(true);
    expect(topicMatches('a/#', 'a')).toBe(true);
    expect(topicMatches('#', '$SYS/x')).toBe(false);
    expect(filterCovers('a/#', 'a/+/c')).toBe(true);
    expect(filterCovers('a/+', 'a/#')).toBe(false);
  });
});

describe('config', () => {
  it('hub.mqtt.anonymous defaults to loopback; env overrides set it and the ACL file', () => {
    expect(parseConfig({}).hub.mqtt.anonymous).toBe('loopback');
    const config = parseConfig({ env: { MIERUKA_HUB__MQTT__ANONYMOUS: 'off', MIERUKA_HUB__MQTT__ACL_FILE: '/etc/mieruka/acl' } });
    expect([config.hub.mqtt.anonymous, config.hub.mqtt.aclFile]).toEqual(['off', '/etc/mieruka/acl']);
    expect(() => parseConfig({ env: { MIERUKA_HUB__MQTT__ANONYMOUS: 'yes' } })).toThrow(/anonymous/);
  });
});
