/** Clutter images and their thumbnails: one handler for both (session required). */
import type { RequestHandler, Response } from 'express';
import { ID_PATTERN } from '@mieruka/protocol';
import { sendError } from '../http-errors.js';

/** Same shape as the clutter payload's imageId, minus names made only of dots. */
export const IMAGE_ID = /^(?!\.+$)[A-Za-z0-9_.-]{1,80}$/;

/** Answers `:site/:node/…/:imageId` with the JPEG `read` finds (400 for a bad id, 404 when there is none). */
export function jpegHandler(read: (site: string, node: string, imageId: string, res: Response) => Promise<Buffer | null>): RequestHandler<{ site: string; node: string; imageId: string }> {
  return async (req, res) => {
    const { site, node, imageId } = req.params;
    if (!ID_PATTERN.test(site) || !ID_PATTERN.test(node) || !IMAGE_ID.test(imageId)) {
      sendError(res, 'BAD_REQUEST', { en: 'invalid site, node or image id', ja: 'サイト・ノード・画像の ID が正しくありません' });
      return;
    }
    const jpeg = await read(site, node, imageId, res);
    if (!jpeg) {
      sendError(res, 'NOT_FOUND', { en: 'image not found', ja: '画像が見つかりません' });
      return;
    }
    res.setHeader('Content-Type', 'image/jpeg');
    // An image id names one shot, so the bytes never change; private because it needs a login.
    res.setHeader('Cache-Control', 'private, max-age=86400');
    res.send(jpeg);
  };
}
