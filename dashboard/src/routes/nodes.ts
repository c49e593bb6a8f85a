/** GET /api/nodes and the clutter image of a node (session required, mounted after requireSession). */
import { Router } from 'express';
import type { DashboardContext } from '../context.js';
import { dataFor } from '../site-scope.js';
import { jpegHandler } from './images.js';

export function nodeRoutes(ctx: DashboardContext): Router {
  const router = Router();

  router.get('/api/nodes', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ nodes: dataFor(ctx, res).listNodes() });
  });

  router.get('/api/nodes/:site/:node/images/:imageId', jpegHandler((site, node, imageId, res) => dataFor(ctx, res).readImage(site, node, imageId)));

  return router;
}
