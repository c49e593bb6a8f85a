/**
 * The hub's System page (admin only): `GET /api/system` shows its counters (refusals per
 * category and reason), where it listens and the nodes asking to join; `POST
 * /api/system/join-requests/:site/:node/admit` lets one in (also past the caps or with
 * auto-join off), `.../dismiss` forgets its request; `POST /api/system/nodes/:site/:node/remove`
 * removes a node that is gone for good. POSTs need the CSRF token like every change.
 */
import { isValidId } from '@mieruka/protocol';
import { Router, type Request, type Response } from 'express';
import { requireRole, sessionOf } from '../auth.js';
import type { DashboardContext } from '../context.js';
import type { JoinRequestOutcome } from '../data-source.js';
import { sendError } from '../http-errors.js';

export function systemRoutes(ctx: DashboardContext): Router {
  const router = Router();
  const admin = requireRole('admin');

  router.get('/api/system', admin, async (_req, res) => {
    const info = await ctx.dataSource.systemInfo();
    const now = ctx.now();
    res.setHeader('Cache-Control', 'no-store');
    res.json({ now, uptimeMs: Math.max(0, now - info.stats.startedAt), ...info });
  });

  const decide = (action: 'admit' | 'dismiss') => async (req: Request, res: Response) => {
    const { site = '', node = '' } = req.params as Record<string, string | undefined>;
    if (!isValidId(site) || !isValidId(node)) {
      sendError(res, 'BAD_REQUEST', { en: 'site and node are ids: lower-case letters, digits and -', ja: 'site と node は ID です: 小文字の英字・数字・- のみ' });
      return;
    }
    const by = sessionOf(res).user.username;
    const data = ctx.dataSource;
    const result: JoinRequestOutcome = action === 'admit' ? await data.admitJoinRequest(site, node, by) : await data.dismissJoinRequest(site, node, by);
    res.setHeader('Cache-Control', 'no-store');
    if (result.outcome === 'not-found') {
      sendError(res, 'NOT_FOUND', { en: `${site}/${node} is not asking to join`, ja: `${site}/${node} は参加を求めていません` });
      return;
    }
    ctx.logger.info({ site, node, by, action }, action === 'admit' ? 'node admitted from the dashboard' : 'join request dismissed from the dashboard');
    res.json(result);
  };

  router.post('/api/system/join-requests/:site/:node/admit', admin, decide('admit'));
  router.post('/api/system/join-requests/:site/:node/dismiss', admin, decide('dismiss'));

  router.post('/api/system/nodes/:site/:node/remove', admin, async (req, res) => {
    const { site = '', node = '' } = req.params as Record<string, string | undefined>;
    if (!isValidId(site) || !isValidId(node)) {
      sendError(res, 'BAD_REQUEST', { en: 'site and node are ids: lower-case letters, digits and -', ja: 'site と node は ID です: 小文字の英字・数字・- のみ' });
      return;
    }
    const by = sessionOf(res).user.username;
    const result = await ctx.dataSource.removeNode(site, node, by);
    res.setHeader('Cache-Control', 'no-store');
    if (result.outcome === 'not-found') {
      sendError(res, 'NOT_FOUND', { en: `no node ${site}/${node}`, ja: `${site}/${node} というノードはありません` });
      return;
    }
    ctx.logger.info({ site, node, by }, 'node removed from the dashboard');
    res.json(result);
  });

  return router;
}
