/** Contract tests of `cmd/patlite` (hub → edge relay towers). */
import { describe, expect, it } from 'vitest';
import { CommandPayload, examplePatliteCommand, MAX_PATLITE_HOLD_S, PatliteCommand } from './payloads.js';
import { commandTopic, parseTopic } from './topics.js';

describe('PatliteCommand', () => {
  it('accepts its documented example, also after the generic command check every edge runs first', () => {
    expect(PatliteCommand.parse(examplePatliteCommand)).toEqual(examplePatliteCommand);
    const generic = CommandPayload.parse(JSON.parse(JSON.stringify(examplePatliteCommand)));
    expect(PatliteCommand.parse(generic)).toEqual(examplePatliteCommand);
  });

  it('travels on cmd/patlite', () => {
    expect(parseTopic(commandTopic('factory', 'bench-1', 'patlite'))).toEqual({ site: 'factory', node: 'bench-1', kind: 'cmd', action: 'patlite' });
  });

  it('accepts all five tiers, boolean buzzers and an id', () => {
    const full = { ts: 1_764_000_000_000, id: 'a1', red: 'on', amber: 'blink', green: 'off', blue: 'on', white: 'blink', buzzer: true, holdS: 0.5 };
    expect(PatliteCommand.parse(full)).toEqual(full);
    expect(PatliteCommand.safeParse({ ...examplePatliteCommand, buzzer: false }).success).toBe(true);
    expect(PatliteCommand.safeParse({ ...examplePatliteCommand, buzzer: 4 }).success).toBe(true);
    const { holdS: _h, ...noHold } = examplePatliteCommand;
    expect(PatliteCommand.safeParse(noHold).success).toBe(true);
  });

  it.each([
    ['a lamp in upper case', { red: 'ON' }],
    ['an unknown lamp state', { amber: 'flash' }],
    ['a missing tier', { green: undefined }],
    ['buzzer pattern 5', { buzzer: 5 }],
    ['a fractional buzzer', { buzzer: 1.5 }],
    ['a buzzer as text', { buzzer: '1' }],
    ['a negative hold', { holdS: -1 }],
    ['a zero hold', { holdS: 0 }],
    ['a hold beyond a day', { holdS: MAX_PATLITE_HOLD_S + 1 }],
    ['a timestamp in seconds', { ts: 1_764_000_000 }],
    ['an extra field', { purple: 'on' }],
  ] as const)('rejects %s', (_what, change) => {
    expect(PatliteCommand.safeParse({ ...examplePatliteCommand, ...change }).success).toBe(false);
  });
});
