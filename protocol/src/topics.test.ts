import { describe, expect, it } from 'vitest';
import { commandTopic, parseTopic, topicFilters, topicFor } from './topics.js';

describe('topics', () => {
  it('builds and parses every kind', () => {
    for (const kind of ['status', 'current', 'state', 'event', 'clutter', 'image', 'motion'] as const) {
      const t = topicFor('factory-1', 'mill-1', kind);
      expect(t).toBe(`mieruka/v1/factory-1/mill-1/${kind}`);
      expect(parseTopic(t)).toEqual({ site: 'factory-1', node: 'mill-1', kind });
    }
  });

  it('builds and parses command topics', () => {
    const t = commandTopic('f', 'bench-1', 'capture');
    expect(t).toBe('mieruka/v1/f/bench-1/cmd/capture');
    expect(parseTopic(t)).toEqual({ site: 'f', node: 'bench-1', kind: 'cmd', action: 'capture' });
  });

  it.each([
    'mieruka/v1/f/n', // missing kind
    'mieruka/v1/f/n/current/extra', // extra level
    'mieruka/v2/f/n/current', // wrong version
    'mieruka/v1/F/n/current', // upper case site
    'mieruka/v1/f/n_1/current', // underscore in node
    'mieruka/v1/f/n/temperature', // unknown kind
    'mieruka/v1/f/n/cmd', // command without action
    'mieruka/v1/f/n/cmd/a/b', // command too deep
    'mieruka/v1//n/current', // empty level
    'mieruka/v1/-f/n/current', // leading dash
    '$SYS/broker/uptime',
    '',
  ])('rejects %j', (t) => {
    expect(parseTopic(t)).toBeNull();
  });

  it('refuses to build topics from bad ids', () => {
    expect(() => topicFor('f', 'Mill 1', 'state')).toThrow(/invalid node id/);
    expect(() => topicFor('f/x', 'm', 'state')).toThrow(/invalid site id/);
    expect(() => topicFor('f', '#', 'state')).toThrow();
    expect(() => commandTopic('f', 'm', '+')).toThrow(/invalid command action/);
  });

  it('offers filters with single-level wildcards', () => {
    expect(topicFilters.everything).toBe('mieruka/v1/#');
    expect(topicFilters.kind('state')).toBe('mieruka/v1/+/+/state');
    expect(topicFilters.commandsFor('f', 'm')).toBe('mieruka/v1/f/m/cmd/+');
  });
});
