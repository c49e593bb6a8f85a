/**
 * mulberry32: a tiny seeded generator, so generated data (the demo's history, test inputs,
 * benchmark data, fixture pictures) is the same on every machine for the same seed. Uniform
 * in [0, 1). Not for anything security-related.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
