/**
 * Annotated clutter JPEGs on disk at `<root>/<site>/<node>/<imageId>.jpg`. Every path is
 * validated and resolved under the root, so neither a topic nor an id can escape it.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { isValidId } from '@mieruka/protocol';
import { makeDirs, writeFileAtomic } from '@mieruka/protocol/node';

/** The clutter payload's imageId pattern, minus names made only of dots ("." and ".."). */
export const IMAGE_ID_PATTERN = /^(?!\.+$)[A-Za-z0-9_.-]{1,80}$/;

export function isValidImageId(id: unknown): id is string {
  return typeof id === 'string' && IMAGE_ID_PATTERN.test(id);
}

export class ImageStore {
  readonly root: string;

  constructor(options: { root: string }) {
    this.root = resolve(options.root);
  }

  /** The file of one image, or null when any part is not a valid id. */
  pathFor(site: string, node: string, imageId: string): string | null {
    if (!isValidId(site) || !isValidId(node) || !isValidImageId(imageId)) return null;
    const file = resolve(join(this.root, site, node, `${imageId}.jpg`));
    return file.startsWith(this.root + sep) ? file : null;
  }

  has(site: string, node: string, imageId: string): boolean {
    const file = this.pathFor(site, node, imageId);
    return file !== null && existsSync(file);
  }

  /** Writes atomically (temp file, fsync, rename, directory fsync): a reader or a crash never sees half an image. */
  async save(site: string, node: string, imageId: string, jpeg: Buffer): Promise<string> {
    const file = this.pathFor(site, node, imageId);
    if (!file) throw new RangeError('invalid site, node or image id');
    await makeDirs(join(this.root, site, node));
    await writeFileAtomic(file, jpeg);
    return file;
  }

  /** The JPEG, or null when it does not exist or the ids are invalid. */
  async read(site: string, node: string, imageId: string): Promise<Buffer | null> {
    const file = this.pathFor(site, node, imageId);
    if (!file) return null;
    try {
      return await readFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return null;
      throw err;
    }
  }
}
