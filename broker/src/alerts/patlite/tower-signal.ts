/**
 * What a tower should show, independent of how it is driven (PNS over TCP or GPIO relays):
 * a lamp state per tier (top to bottom red, amber, green, blue, white) and a buzzer pattern.
 */
import { MierukaError, type PatliteLamp } from '@mieruka/protocol';
import { encodeClear, encodeDetailRunControl, encodeRunControl, PNS_COLOUR, PNS_UNIT, type PnsModel } from './pns-frame.js';

export type Lamp = PatliteLamp;
export const TIERS = ['red', 'amber', 'green', 'blue', 'white'] as const;
export type Tier = (typeof TIERS)[number];

export type TowerSignal = {
  red: Lamp;
  amber: Lamp;
  green: Lamp;
  blue?: Lamp;
  white?: Lamp;
  /** 0 off, 1–4 a buzzer pattern (LA6 with the S command: 1–3). */
  buzzer: number;
};

export const DARK: Readonly<TowerSignal> = Object.freeze({ red: 'off', amber: 'off', green: 'off', buzzer: 0 });

/** LA6: `D` sets colours itself (default); `S` uses the colours configured in the tower. */
export type La6Command = 'D' | 'S';

export function lampOf(signal: TowerSignal, tier: Tier): Lamp {
  return signal[tier] ?? 'off';
}

export function isDark(signal: TowerSignal): boolean {
  return signal.buzzer === 0 && TIERS.every((t) => lampOf(signal, t) === 'off');
}

/** A stable key: equal keys mean the tower shows the same thing. */
export function signalKey(signal: TowerSignal): string {
  return `${TIERS.map((t) => lampOf(signal, t)).join(',')};buzzer=${signal.buzzer}`;
}

/** `red blink, buzzer 1` — for logs and CLI output. */
export function describeSignal(signal: TowerSignal): string {
  if (isDark(signal)) return 'all off';
  const lit = TIERS.filter((t) => lampOf(signal, t) !== 'off').map((t) => `${t} ${lampOf(signal, t)}`);
  return [...(lit.length ? lit : ['lamps off']), signal.buzzer ? `buzzer ${signal.buzzer}` : 'buzzer off'].join(', ');
}

const TIER_COLOUR: Record<Tier, number> = { red: PNS_COLOUR.red, amber: PNS_COLOUR.yellow, green: PNS_COLOUR.green, blue: PNS_COLOUR.blue, white: PNS_COLOUR.white };

/**
 * The PNS frame that shows `signal`. NH and LA6-with-S: the S command, one pattern per unit
 * (unit 1 = red … unit 5 = white). LA6-with-D: unit n gets tier n's colour when lit; the D
 * command has a single blink flag, so if any lit tier blinks, every lit tier blinks.
 */
export function signalToPnsFrame(model: PnsModel, signal: TowerSignal, la6Command: La6Command = 'D'): Buffer {
  if (isDark(signal)) return encodeClear(model);
  if (model === 'la6' && la6Command === 'D') {
    const colours = TIERS.map((t) => (lampOf(signal, t) === 'off' ? PNS_COLOUR.off : TIER_COLOUR[t]));
    const blink = TIERS.some((t) => lampOf(signal, t) === 'blink');
    return encodeDetailRunControl(model, colours, blink, signal.buzzer);
  }
  return encodeRunControl(model, TIERS.map((t) => PNS_UNIT[lampOf(signal, t)]), signal.buzzer);
}

const LAMP_WORDS: Record<string, Lamp> = { off: 'off', on: 'on', blink: 'blink', flash: 'blink', '0': 'off', '1': 'on', '2': 'blink' };

/**
 * Parses `red=on,amber=blink,green=off,buzzer=1` (the CLI's --set). Tiers not named are off.
 * Throws a BAD_REQUEST MierukaError naming the bad part.
 */
export function parseSignalSpec(spec: string): TowerSignal {
  const signal: TowerSignal = { red: 'off', amber: 'off', green: 'off', buzzer: 0 };
  const seen = new Set<string>();
  const parts = spec.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) throw new MierukaError('BAD_REQUEST', 'empty --set: use e.g. red=on,amber=blink,green=off,buzzer=1');
  for (const part of parts) {
    const m = /^([a-z]+)\s*[=:]\s*([a-z0-9]+)$/i.exec(part);
    if (!m) throw new MierukaError('BAD_REQUEST', `"${part}": use <tier>=<off|on|blink> or buzzer=<0–4>`);
    const key = m[1]!.toLowerCase();
    const value = m[2]!.toLowerCase();
    if (seen.has(key)) throw new MierukaError('BAD_REQUEST', `"${key}" given twice`);
    seen.add(key);
    if (key === 'buzzer') {
      const n = value === 'off' ? 0 : value === 'on' ? 1 : /^\d$/.test(value) ? Number(value) : Number.NaN;
      if (!(n >= 0 && n <= 4)) throw new MierukaError('BAD_REQUEST', `buzzer=${value}: use 0 (off) … 4, or on/off`);
      signal.buzzer = n;
      continue;
    }
    if (!(TIERS as readonly string[]).includes(key)) throw new MierukaError('BAD_REQUEST', `"${key}" is not a tier: use ${TIERS.join(', ')} or buzzer`);
    const lamp = LAMP_WORDS[value];
    if (!lamp) throw new MierukaError('BAD_REQUEST', `${key}=${value}: use off, on or blink`);
    signal[key as Tier] = lamp;
  }
  return signal;
}
