import { loadSharp } from '../clutter/load-sharp.js';
import { MAX_IMAGE_BYTES } from '@mieruka/protocol';

/** The annotated JPEG within the image limit (512 KiB): re-encoded smaller when needed. */
export async function fitImage(jpeg: Buffer): Promise<Buffer> {
  let out = jpeg;
  if (out.length <= MAX_IMAGE_BYTES) return out;
  const sharp = await loadSharp();
  for (const [width, quality] of [[640, 70], [480, 60], [320, 50]] as const) {
    if (out.length <= MAX_IMAGE_BYTES) return out;
    out = await sharp(jpeg).resize({ width, withoutEnlargement: true }).jpeg({ quality }).toBuffer();
  }
  return out;
}
