import { StationConfig } from '@mieruka/protocol';
import { describe, expect, it } from 'vitest';
import { countInRange } from './hsv.js';
import { referenceCount, scoreFromCounts } from './score.js';

describe('scoreFromCounts', () => {
  it('is 100 × the covered share, one decimal', () => {
    expect(scoreFromCounts(100, 100)).toEqual({ coveredRatio: 0, score: 0 });
    expect(scoreFromCounts(0, 100)).toEqual({ coveredRatio: 1, score: 100 });
    expect(scoreFromCounts(75, 100)).toEqual({ coveredRatio: 0.25, score: 25 });
    expect(scoreFromCounts(2, 3).score).toBe(33.3);
    expect(scoreFromCounts(1, 3).score).toBe(66.7);
    expect(scoreFromCounts(9995, 10000)).toEqual({ coveredRatio: 0.0005, score: 0.1 });
    expect(scoreFromCounts(9994, 10000).score).toBe(0.1);
    expect(scoreFromCounts(9996, 10000).score).toBe(0);
  });

  it('scores an empty region 0 instead of dividing by zero', () => {
    expect(scoreFromCounts(0, 0)).toEqual({ coveredRatio: 0, score: 0 });
  });
});

describe('referenceCount', () => {
  it('counts the pixels of an RGB frame inside the HSV range (pure JS)', () => {
    const { hsvLower, hsvUpper } = StationConfig.parse({});
    // green mat, red, grey, dark green (V 30 < 40), pure green
    const data = Buffer.from([45, 140, 60, 200, 40, 40, 128, 128, 128, 10, 30, 12, 0, 255, 0]);
    expect(referenceCount({ data, width: 5, height: 1 }, hsvLower, hsvUpper)).toBe(2);
    expect(referenceCount({ data, width: 5, height: 1 }, hsvLower, hsvUpper)).toBe(countInRange(data, 3, hsvLower, hsvUpper));
  });
});
