import { isMierukaError, MAX_IMAGE_BYTES, StationConfig } from '@mieruka/protocol';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { renderAnnotatedJpeg } from './annotate.js';

const { hsvLower, hsvUpper } = StationConfig.parse({});

/** Left half green mat, right half red box. */
async function halfAndHalf(width: number, height: number): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(x < width / 2 ? [45, 140, 60] : [200, 40, 40], (y * width + x) * 3);
  }
  return sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

describe('renderAnnotatedJpeg', () => {
  it('tints the free mat, leaves objects alone and shrinks to 640 wide', async () => {
    const jpeg = await renderAnnotatedJpeg(await halfAndHalf(1920, 1080), { hsvLower, hsvUpper, score: 50, caption: 'bench-1 | demo | 2026-11-24 09:00:00' });
    expect(jpeg.length).toBeLessThanOrEqual(MAX_IMAGE_BYTES);
    const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([640, 360]);
    const at = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
    const [mr, mg, mb] = at(160, 300);
    // 45 % towards (90, 200, 255): roughly (65, 167, 148); untinted would be (45, 140, 60).
    expect(mb!).toBeGreaterThan(120);
    expect(mg!).toBeGreaterThan(150);
    expect(mr!).toBeLessThan(90);
    const [rr, rg, rb] = at(480, 300);
    expect(rr!).toBeGreaterThan(180);
    expect(rg!).toBeLessThan(60);
    expect(rb!).toBeLessThan(60);
    // The banner darkens the top strip.
    const [br, bg, bb] = at(630, 5);
    expect(br! + bg! + bb!).toBeLessThan(200 + 40 + 40);
  });

  it('copes with a photo smaller than the banner', async () => {
    const jpeg = await renderAnnotatedJpeg(await halfAndHalf(40, 10), { hsvLower, hsvUpper, score: 50, caption: 'x' });
    expect((await sharp(jpeg).metadata()).width).toBe(40);
  });

  it('escapes the caption and rejects bad images with IMAGE_INVALID', async () => {
    const jpeg = await renderAnnotatedJpeg(await halfAndHalf(64, 64), { hsvLower, hsvUpper, score: 1, caption: '<b>&"</b>' });
    expect(jpeg[0]).toBe(0xff);
    const err = await renderAnnotatedJpeg(Buffer.from('nope'), { hsvLower, hsvUpper, score: 1, caption: 'x' }).catch((e: unknown) => e);
    expect(isMierukaError(err, 'IMAGE_INVALID')).toBe(true);
  });
});
