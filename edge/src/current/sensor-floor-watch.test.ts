import { describe, expect, it } from 'vitest';
import { SensorFloorWatch, type FloorVerdict } from './sensor-floor-watch.js';

const T0 = Date.now();
const sensor = { floorA: 0.02, floorAfterS: 5, offLevelA: 0.15 };

/** One reading a second; returns the verdict types, with details for fault and ok. */
function verdicts(amps: number[], watch = new SensorFloorWatch(sensor), from = 0): string[] {
  return amps.map((a, i) => describe_(watch.update(T0 + (from + i) * 1000, a)));
}
function describe_(v: FloorVerdict): string {
  if (v.type === 'fault') return `fault@${(v.sinceTs - T0) / 1000}:${v.readingA}/${v.offLevelA}`;
  if (v.type === 'ok') return `ok@${(v.sinceTs - T0) / 1000}+${v.faultS}`;
  return v.type;
}

describe('SensorFloorWatch', () => {
  it('floor readings for floorAfterS raise one fault dated from the first of them; the first reading above ends it', () => {
    expect(verdicts([0.15, 0.16, 0.01, 0.0, 0.02, 0.01, 0, 0, 0, 0.01, 0.3, 0.15])).toEqual([
      'reading', 'reading', 'floor', 'floor', 'floor', 'floor', 'floor', 'fault@2:0/0.15', 'faulted', 'faulted', 'ok@2+8', 'reading',
    ]);
  });

  it('a floor stretch shorter than floorAfterS is held back but raises nothing, and starts again from scratch', () => {
    const watch = new SensorFloorWatch(sensor);
    expect(verdicts([0, 0, 0, 0, 0.2, 0, 0, 0, 0, 0], watch)).toEqual(['floor', 'floor', 'floor', 'floor', 'reading', 'floor', 'floor', 'floor', 'floor', 'floor']);
    expect(watch.update(T0 + 10_000, 0).type).toBe('fault');
  });

  it('without offLevelA a floor reading is just a reading (a machine that is off)', () => {
    const watch = new SensorFloorWatch({ floorA: 0.02, floorAfterS: 1 });
    expect(watch.enabled).toBe(false);
    expect(verdicts(Array(10).fill(0), watch)).toEqual(Array(10).fill('reading'));
  });

  it('an offLevelA at or below the floor cannot tell the two apart: disabled', () => {
    const watch = new SensorFloorWatch({ floorA: 0.05, floorAfterS: 1, offLevelA: 0.05 });
    expect(watch.enabled).toBe(false);
    expect(verdicts([0, 0, 0, 0], watch)).toEqual(['reading', 'reading', 'reading', 'reading']);
  });

  it('silence forgets a floor stretch not yet a fault, but not a fault', () => {
    const watch = new SensorFloorWatch(sensor);
    verdicts([0, 0, 0, 0], watch);
    watch.onSilent();
    expect(watch.since).toBeNull();
    expect(verdicts([0, 0, 0, 0, 0, 0], watch, 100)).toEqual(['floor', 'floor', 'floor', 'floor', 'floor', 'fault@100:0/0.15']);
    watch.onSilent();
    expect(watch.inFault).toBe(true);
    expect(verdicts([0.2], watch, 200)).toEqual(['ok@100+100']);
  });
});
