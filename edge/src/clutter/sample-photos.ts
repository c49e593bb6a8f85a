/**
 * The generated sample photos (scripts/generate-mat-photos.mjs) shipped in edge/assets.
 * Resolved from this module's URL: src/clutter/ and dist/clutter/ are both two levels below edge/.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of edge/assets/sample-photos. */
export function samplePhotosDir(): string {
  return fileURLToPath(new URL('../../assets/sample-photos', import.meta.url));
}

/** Absolute paths of the sample JPEGs, sorted by name (mat-03 … mat-60: tidy to messy). */
export async function listSamplePhotos(): Promise<string[]> {
  const dir = samplePhotosDir();
  const names = await readdir(dir);
  return names
    .filter((n) => /\.jpe?g$/i.test(n))
    .sort()
    .map((n) => join(dir, n));
}
