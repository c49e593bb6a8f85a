/** GET /api/nodes and the clutter image of a node (session required, mounted after requireSession). */
import { Router } from 'express';
import { ID_PATTERN } from '@mieruka/protocol';
import type { DashboardContext } from '../context.js';
import { sendError } from '../http-errors.js';

/** Same shape as the clutter payload's imageId, minus names made only of dots. */
export const IMAGE_ID = /^(?!\.+$)[A-Za-z0-9_.-]{1,80}$/;

export function nodeRoutes(ctx: DashboardContext): Router {
  const router = Router();

  router.get('/api/nodes', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ nodes: ctx.dataSource.listNodes() });
  });

  router.get('/api/nodes/:site/:node/images/:imageId', async (req, res) => {
    const { site, node, imageId } = req.params;
    if (!ID_PATTERN.test(site) || !ID_PATTERN.test(node) || !IMAGE_ID.test(imageId)) {
      sendError(res, 'BAD_REQUEST', 'invalid site, node or image id');
      return;
    }
    const jpeg = await ctx.dataSource.readImage(site, node, imageId);
    if (!jpeg) {
      sendError(res, 'NOT_FOUND', 'image not found');
      return;
    }
    res.setHeader('Content-Type', 'image/jpeg');
    // An image id names one shot, so the bytes never change; private because it needs a login.
    res.setHeader('Cache-Control', 'private, max-age=86400');
    res.send(jpeg);
  });

  return router;
}
