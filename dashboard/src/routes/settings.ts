/**
 * Runtime settings (admin only): `GET /api/settings` shows what is in effect; `PUT /api/settings`
 * with `{version, settings}` validates, stores and applies them at once (no restart). The version
 * is the one the editor started from: a save that would overwrite someone else's answers 409
 * with the current settings, so nobody's change is lost silently.
 */
import { Router } from 'express';
import { requireRole, sessionOf } from '../auth.js';
import type { DashboardContext } from '../context.js';
import { sendError, sendErrorWithDetails } from '../http-errors.js';

export function settingsRoutes(ctx: DashboardContext): Router {
  const router = Router();
  const admin = requireRole('admin');

  router.get('/api/settings', admin, async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(await ctx.dataSource.getSettings());
  });

  router.put('/api/settings', admin, async (req, res) => {
    if (!req.is('application/json')) {
      sendError(res, 'BAD_REQUEST', 'send JSON {version, settings}', 415);
      return;
    }
    const body = req.body as { version?: unknown; settings?: unknown } | undefined;
    const version = body?.version;
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 0 || body?.settings === undefined) {
      sendError(res, 'BAD_REQUEST', 'send JSON {version, settings}: version is the one you started editing from');
      return;
    }
    const by = sessionOf(res).user.username;
    const result = await ctx.dataSource.updateSettings(body.settings, version, by);
    res.setHeader('Cache-Control', 'no-store');
    if (result.outcome === 'invalid') {
      const first = result.issues[0];
      const summary = first ? `${first.path.join('.') || 'settings'}: ${first.message}` : 'invalid';
      sendErrorWithDetails(res, 'SETTINGS_INVALID', `${result.issues.length} problem(s): ${summary}`, { issues: result.issues });
      return;
    }
    if (result.outcome === 'conflict') {
      sendErrorWithDetails(res, 'CONFLICT', `settings were saved by ${result.view.updatedBy ?? 'someone'} meanwhile (version ${result.view.version})`, { current: result.view });
      return;
    }
    ctx.logger.info({ version: result.view.version, by }, 'settings changed from the dashboard');
    res.json(result.view);
  });

  return router;
}
