/** GET /api/health — public: liveness for systemd/monitoring plus hub counters. */
import { Router } from 'express';
import type { DashboardContext } from '../context.js';

export function healthRoutes(ctx: DashboardContext): Router {
  const router = Router();
  router.get('/api/health', (_req, res) => {
    const stats = ctx.dataSource.stats();
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok', now: ctx.now(), stats });
  });
  return router;
}
