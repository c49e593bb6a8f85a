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
import { requestLanguage } from '../request-language.js';

export function settingsRoutes(ctx: DashboardContext): Router {
  const router = Router();
  const admin = requireRole('admin');

  router.get('/api/settings', admin, async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(await ctx.dataSource.getSettings());
  });

  router.put('/api/settings', admin, async (req, res) => {
    if (!req.is('application/json')) {
      sendError(res, 'BAD_REQUEST', { en: 'send JSON {version, settings}', ja: 'JSON {version, settings} を送ってください' }, 415);
      return;
    }
    const body = req.body as { version?: unknown; settings?: unknown } | undefined;
    const version = body?.version;
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 0 || body?.settings === undefined) {
      sendError(res, 'BAD_REQUEST', { en: 'send JSON {version, settings}: version is the one you started editing from', ja: 'JSON {version, settings} を送ってください。version は編集を始めたときのものです' });
      return;
    }
    const by = sessionOf(res).user.username;
    const result = await ctx.dataSource.updateSettings(body.settings, version, by);
    res.setHeader('Cache-Control', 'no-store');
    if (result.outcome === 'invalid') {
      // zod's messages come in both languages (protocol applySettings); answer in the request's.
      const ja = requestLanguage(req) === 'ja';
      const issues = result.issues.map(({ messageJa, ...issue }) => ({ ...issue, message: ja && messageJa ? messageJa : issue.message }));
      const first = issues[0];
      const where = first ? first.path.join('.') || 'settings' : '';
      sendErrorWithDetails(
        res,
        'SETTINGS_INVALID',
        {
          en: `${issues.length} problem(s): ${first ? `${where}: ${first.message}` : 'invalid'}`,
          ja: `${issues.length} 件の問題: ${first ? `${where}: ${first.message}` : '不正な値'}`,
        },
        { issues },
      );
      return;
    }
    if (result.outcome === 'conflict') {
      const savedBy = result.view.updatedBy;
      sendErrorWithDetails(
        res,
        'CONFLICT',
        {
          en: `settings were saved by ${savedBy ?? 'someone'} meanwhile (version ${result.view.version})`,
          ja: `その間に ${savedBy ?? '他の人'} が設定を保存しました (バージョン ${result.view.version})`,
        },
        { current: result.view },
      );
      return;
    }
    ctx.logger.info({ version: result.view.version, by }, 'settings changed from the dashboard');
    res.json(result.view);
  });

  return router;
}
