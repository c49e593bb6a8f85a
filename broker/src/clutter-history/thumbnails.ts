/**
 * Thumbnails of clutter images, made with sharp on first request and cached next to the image
 * at `<site>/<node>/thumbs/<imageId>.jpg` (an image id holds no "/", so that folder never
 * clashes with an image). A broken image gives null, never an exception.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { ImageStore } from '../ingest/image-store.js';
import { makeDirs, writeFileAtomic } from '@mieruka/protocol/node';

export const THUMBNAIL_WIDTH = 240;
export const THUMBS_DIR = 'thumbs';
/** Annotated shots are at most 512 KiB; this still refuses a decompression bomb. */
const MAX_INPUT_PIXELS = 40_000_000;

export function thumbnailPathOf(imageFile: string): string {
  return join(dirname(imageFile), THUMBS_DIR, basename(imageFile));
}

export type ThumbnailsOptions = { images: ImageStore; logger: Logger; width?: number };

export class Thumbnails {
  private readonly images: ImageStore;
  private readonly logger: Logger;
  private readonly width: number;
  /** One sharp job per image, however many requests ask at once. */
  private readonly making = new Map<string, Promise<Buffer | null>>();
  failures = 0;

  constructor(options: ThumbnailsOptions) {
    this.images = options.images;
    this.logger = options.logger.child({ component: 'thumbnails' });
    this.width = options.width ?? THUMBNAIL_WIDTH;
  }

  /** The thumbnail JPEG, made and cached when missing; null when the image is missing or not decodable. */
  async read(site: string, node: string, imageId: string): Promise<Buffer | null> {
    const file = this.images.pathFor(site, node, imageId);
    if (!file) return null;
    // A thumbnail lives no longer than its image (retention, or deleted by hand).
    if (!this.images.has(site, node, imageId)) return null;
    const thumb = thumbnailPathOf(file);
    const cached = await readFile(thumb).catch(() => null);
    if (cached) return cached;
    let job = this.making.get(thumb);
    if (!job) {
      job = this.make(file, thumb, { site, node, imageId }).finally(() => this.making.delete(thumb));
      this.making.set(thumb, job);
    }
    return job;
  }

  private async make(file: string, thumb: string, ids: Record<string, string>): Promise<Buffer | null> {
    const jpeg = await readFile(file).catch(() => null);
    if (!jpeg) return null;
    let out: Buffer;
    try {
      // sharp (libvips, ~7 MB resident) is loaded with the first thumbnail, not with every hub.
      const { default: sharp } = await import('sharp');
      out = await sharp(jpeg, { limitInputPixels: MAX_INPUT_PIXELS }).rotate().resize({ width: this.width, withoutEnlargement: true }).jpeg({ quality: 75 }).toBuffer();
    } catch (err) {
      this.failures += 1;
      this.logger.warn({ ...ids, err: (err as Error).message }, 'cannot make a thumbnail: the image is not a readable JPEG');
      return null;
    }
    // Cached atomically; a failed write only costs making it again next time.
    try {
      await makeDirs(dirname(thumb));
      await writeFileAtomic(thumb, out);
    } catch (err) {
      this.logger.warn({ ...ids, err: (err as Error).message }, 'cannot cache a thumbnail');
    }
    return out;
  }
}
