/**
 * A binary image packed 32 pixels per word: row y starts at word y·stride, pixel x is bit
 * (x & 31) of word y·stride + (x >> 5). The bits past the width in each row's last word
 * ("padding") are kept 0 between operations; a morphology pass sets them to its neutral value
 * first. Int32Array keeps every word a small integer for the JIT (no boxed doubles).
 */
export interface BitMask {
  readonly width: number;
  readonly height: number;
  /** Words per row: ceil(width / 32). */
  readonly stride: number;
  readonly words: Int32Array;
}

export function createBitMask(width: number, height: number): BitMask {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) throw new RangeError(`bad mask size ${width}×${height}`);
  const stride = (width + 31) >>> 5;
  return { width, height, stride, words: new Int32Array(stride * height) };
}

/** Bits of the last word of a row that lie inside the image (all ones when width is a multiple of 32). */
function lastWordBits(width: number): number {
  const used = width & 31;
  return used === 0 ? -1 : (1 << used) - 1;
}

/** Sets the padding bits of every row to 1 (`ones`) or 0. */
export function setPadding(mask: BitMask, ones: boolean): void {
  const { stride, height, words } = mask;
  if (stride === 0) return;
  const inside = lastWordBits(mask.width);
  if (inside === -1) return;
  for (let i = stride - 1; i < stride * height; i += stride) words[i] = ones ? words[i]! | ~inside : words[i]! & inside;
}

/** Number of set pixels (padding cleared first). */
export function countBits(mask: BitMask): number {
  setPadding(mask, false);
  const { words } = mask;
  let n = 0;
  for (let i = 0; i < words.length; i++) n += popcount(words[i]!);
  return n;
}

/** Set bits of a 32-bit word. */
export function popcount(v: number): number {
  v = (v - ((v >>> 1) & 0x55555555)) | 0;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** One byte per pixel: `on` where set, `off` elsewhere (e.g. 255/0 like cv::inRange). */
export function unpackBits<T extends Uint8Array>(mask: BitMask, out: T, on: number, off: number): T {
  const { width, height, stride, words } = mask;
  if (out.length !== width * height) throw new RangeError(`need ${width * height} bytes, got ${out.length}`);
  for (let y = 0, o = 0; y < height; y++) {
    const row = y * stride;
    for (let x = 0; x < width; x++, o++) out[o] = (words[row + (x >>> 5)]! >>> (x & 31)) & 1 ? on : off;
  }
  return out;
}

/** Sets each pixel whose byte is non-zero (e.g. a cv::inRange mask), clears the rest and the padding. */
export function packBits(bytes: Uint8Array, mask: BitMask): BitMask {
  const { width, height, stride, words } = mask;
  if (bytes.length !== width * height) throw new RangeError(`need ${width * height} bytes, got ${bytes.length}`);
  words.fill(0);
  for (let y = 0, o = 0; y < height; y++) {
    const row = y * stride;
    for (let x = 0; x < width; x++, o++) if (bytes[o]) words[row + (x >>> 5)]! |= 1 << (x & 31);
  }
  return mask;
}
