import { isMierukaError } from '@mieruka/protocol';
import { describe, expect, it } from 'vitest';
import { checkQuad, formatRoi, orderCorners, parseRoi, quadArea, rectifiedSize, type Quad } from './roi.js';

const quad: Quad = [
  [150, 70],
  [800, 95],
  [885, 480],
  [70, 455],
];

function configError(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    expect(isMierukaError(err, 'CONFIG_INVALID')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('parseRoi / formatRoi', () => {
  it('round-trips eight numbers as four corners', () => {
    expect(parseRoi('150,70, 800,95,885,480,70,455.5')).toEqual([
      [150, 70],
      [800, 95],
      [885, 480],
      [70, 455.5],
    ]);
    expect(formatRoi(quad)).toBe('150,70,800,95,885,480,70,455');
    expect(parseRoi(formatRoi(quad))).toEqual(quad);
  });

  it('rejects anything but eight finite numbers', () => {
    for (const bad of ['', '1,2,3,4,5,6,7', '1,2,3,4,5,6,7,8,9', '1,2,3,4,5,6,7,x', '1,2,3,4,5,6,7,', '1,2,3,4,5,6,7,Infinity']) {
      expect(() => parseRoi(bad), bad).toThrow(/8 numbers/);
    }
  });
});

describe('orderCorners', () => {
  it('puts any order of the corners into TL, TR, BR, BL', () => {
    const shuffled = [quad[2], quad[0], quad[3], quad[1]];
    expect(orderCorners(shuffled)).toEqual(quad);
    expect(orderCorners([quad[3], quad[2], quad[1], quad[0]])).toEqual(quad);
  });

  it('handles a mat rotated by 45°', () => {
    const diamond = orderCorners([
      [100, 0],
      [200, 100],
      [100, 200],
      [0, 100],
    ]);
    expect(quadArea(diamond)).toBeGreaterThan(0); // clockwise in image coordinates
    checkQuad(diamond, 200, 200);
  });

  it('needs exactly four points', () => {
    expect(() => orderCorners(quad.slice(0, 3))).toThrow(RangeError);
  });
});

describe('rectifiedSize / checkQuad', () => {
  it('sizes the rectangle by the longer of opposite sides', () => {
    expect(rectifiedSize([
      [0, 0],
      [100, 0],
      [110, 50],
      [-10, 50],
    ])).toEqual({ width: 120, height: 51 });
    expect(rectifiedSize(quad)).toEqual({ width: 815, height: 394 });
  });

  it('accepts a convex clockwise quad inside the image', () => {
    expect(() => checkQuad(quad, 960, 540)).not.toThrow();
    expect(() => checkQuad([[0, 0], [960, 0], [960, 540], [0, 540]], 960, 540)).not.toThrow();
  });

  it('rejects corners outside the image, wrong order, concave or tiny quads with CONFIG_INVALID', () => {
    expect(configError(() => checkQuad(quad, 640, 480))).toMatch(/outside the 640×480 image/);
    expect(configError(() => checkQuad([quad[0], quad[3], quad[2], quad[1]], 960, 540))).toMatch(/order/);
    expect(configError(() => checkQuad([[0, 0], [100, 0], [20, 20], [0, 100]], 960, 540))).toMatch(/convex/);
    expect(configError(() => checkQuad([[0, 0], [5, 0], [5, 5], [0, 5]], 960, 540))).toMatch(/too small/);
    expect(configError(() => checkQuad([[0, 0], [Number.NaN, 0], [5, 5], [0, 5]], 960, 540))).toMatch(/not numbers/);
  });
});
