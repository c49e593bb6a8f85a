import { MAX_IMAGE_BYTES } from '@mieruka/protocol';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { renderAnnotated, type AnnotateInput } from './annotate.js';

/** Left half green mat (mask 255), right half red box (mask 0), outlined. */
function halfAndHalf(width: number, height: number): AnnotateInput {
  const region = Buffer.alloc(width * height * 3);
  const mask = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const mat = x < width / 2;
      region.set(mat ? [45, 140, 60] : [200, 40, 40], (y * width + x) * 3);
      mask[y * width + x] = mat ? 255 : 0;
    }
  }
  const x0 = Math.ceil(width / 2);
  const outlines = [
    {
      points: [
        [x0, 0],
        [width - 1, 0],
        [width - 1, height - 1],
        [x0, height - 1],
      ] as [number, number][],
      area: (width - 1 - x0) * (height - 1),
    },
  ];
  return { region, mask, width, height, outlines };
}

async function pixels(jpeg: Buffer) {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  return { info, at: (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)) };
}

describe('renderAnnotated', () => {
  it('tints the free mat, leaves objects alone, outlines them and shrinks to 640 wide', async () => {
    const { jpeg, thumbnail, width, height } = await renderAnnotated(halfAndHalf(1920, 1080), { score: 50, caption: 'bench-1 | demo | 2026-11-24 09:00:00' });
    expect(jpeg.length).toBeLessThanOrEqual(MAX_IMAGE_BYTES);
    expect([width, height]).toEqual([640, 360]);
    const { info, at } = await pixels(jpeg);
    expect([info.width, info.height]).toEqual([640, 360]);
    const [mr, mg, mb] = at(160, 300);
    // 45 % towards (90, 200, 255): roughly (65, 167, 148); untinted would be (45, 140, 60).
    expect(mb!).toBeGreaterThan(120);
    expect(mg!).toBeGreaterThan(150);
    expect(mr!).toBeLessThan(90);
    const [rr, rg, rb] = at(480, 300);
    expect(rr!).toBeGreaterThan(180);
    expect(rg!).toBeLessThan(60);
    expect(rb!).toBeLessThan(60);
    // The outline's left edge (x = 960 → 320 in the output) is magenta.
    const [or, og, ob] = at(320, 250);
    expect(or!).toBeGreaterThan(200);
    expect(og!).toBeLessThan(110);
    expect(ob!).toBeGreaterThan(150);
    // The banner darkens the top strip.
    const [br, bg, bb] = at(630, 5);
    expect(br! + bg! + bb!).toBeLessThan(200 + 40 + 40);
    // Thumbnail: 160 wide, no banner (top right stays red).
    const t = await pixels(thumbnail);
    expect([t.info.width, t.info.height]).toEqual([160, 90]);
    expect(t.at(150, 3)[0]!).toBeGreaterThan(170);
  });

  it('never enlarges, and copes with a region smaller than the banner', async () => {
    const { jpeg, thumbnail } = await renderAnnotated(halfAndHalf(40, 10), { score: 50, caption: 'x' });
    expect((await sharp(jpeg).metadata()).width).toBe(40);
    expect((await sharp(thumbnail).metadata()).width).toBe(40);
  });

  it('escapes the caption and draws without outlines', async () => {
    const input = { ...halfAndHalf(64, 64), outlines: [] };
    const { jpeg } = await renderAnnotated(input, { score: 1, caption: '<b>&"</b>' });
    expect(jpeg[0]).toBe(0xff);
  });

  it('rejects a mask or region of the wrong size', async () => {
    const input = halfAndHalf(64, 64);
    await expect(renderAnnotated({ ...input, mask: input.mask.subarray(1) }, { score: 1, caption: 'x' })).rejects.toThrow(RangeError);
    await expect(renderAnnotated({ ...input, width: 65 }, { score: 1, caption: 'x' })).rejects.toThrow(RangeError);
  });
});
