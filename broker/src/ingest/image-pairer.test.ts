import { describe, expect, it } from 'vitest';
import { fakeJpeg } from '../test-support/helpers.js';
import { ImagePairer } from './image-pairer.js';

describe('ImagePairer', () => {
  it('pairs whichever of image and clutter result arrives second, per node', () => {
    const pairer = new ImagePairer();
    const a = fakeJpeg(1);
    expect(pairer.offerImage('f/bench-1', a)).toBeNull();
    expect(pairer.offerClutter('f/bench-2', 'other')).toBeNull(); // another node does not pair
    expect(pairer.offerClutter('f/bench-1', 'img-1')).toEqual({ imageId: 'img-1', jpeg: a });
    const b = fakeJpeg(2);
    expect(pairer.offerClutter('f/bench-1', 'img-2')).toBeNull();
    expect(pairer.offerImage('f/bench-1', b)).toEqual({ imageId: 'img-2', jpeg: b });
    expect(pairer.size).toBe(1); // only bench-2's waiting result is left
  });

  it('forgets a half older than the window', () => {
    let now = 1_000_000;
    const pairer = new ImagePairer({ windowMs: 60_000, now: () => now });
    pairer.offerImage('f/bench-1', fakeJpeg());
    now += 60_001;
    expect(pairer.offerClutter('f/bench-1', 'late')).toBeNull();
    now += 1000;
    const jpeg = fakeJpeg(3);
    expect(pairer.offerImage('f/bench-1', jpeg)).toEqual({ imageId: 'late', jpeg });
  });

  it('keeps a bounded number of nodes waiting', () => {
    const pairer = new ImagePairer({ maxNodes: 3 });
    for (let i = 0; i < 10; i++) pairer.offerImage(`f/n-${i}`, fakeJpeg());
    expect(pairer.size).toBe(3);
    expect(pairer.offerClutter('f/n-0', 'x')).toBeNull(); // evicted
    expect(pairer.offerClutter('f/n-9', 'y')).not.toBeNull();
  });
});
