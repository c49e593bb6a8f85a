/** A small seeded PRNG (mulberry32) for tests that want many varied inputs, the same every run. */
export function seededRandom(seed: number): { next(): number; int(n: number): number; bytes(n: number, density?: number): Uint8Array } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  /** Random bytes; with `density`, a 0/255 mask with that share of 255s. */
  const bytes = (n: number, density?: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = density === undefined ? int(256) : next() < density ? 255 : 0;
    return out;
  };
  return { next, int, bytes };
}
