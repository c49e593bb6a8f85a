/**
 * Serves the built web app (dist-web): hashed assets cached for long, index.html for every
 * client route (not /api). index.html is read once and gets the configured default language.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import express, { Router } from 'express';
import type { Logger } from 'pino';
import { sendError } from './http-errors.js';

export type StaticFilesOptions = { dir: string; language: 'ja' | 'en'; logger: Logger };

export function staticFiles(options: StaticFilesOptions): Router {
  const router = Router();
  let indexHtml: string | null = null;

  router.use(
    '/assets',
    express.static(join(options.dir, 'assets'), {
      index: false,
      fallthrough: false,
      immutable: true,
      maxAge: '365d',
    }),
  );
  router.use(express.static(options.dir, { index: false, maxAge: '1h' }));

  router.get('/{*path}', async (req, res, next) => {
    if (req.path === '/api' || req.path.startsWith('/api/')) {
      next();
      return;
    }
    if (indexHtml === null) {
      try {
        const raw = await readFile(join(options.dir, 'index.html'), 'utf8');
        indexHtml = raw.replace(/<html lang="[a-z]+"/, `<html lang="${options.language}"`);
      } catch (err) {
        options.logger.warn({ err, dir: options.dir }, 'web app is not built');
        sendError(res, 'NOT_FOUND', { en: 'web app is not built (npm run build --workspace dashboard)', ja: 'Web アプリがビルドされていません (npm run build --workspace dashboard)' });
        return;
      }
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(indexHtml);
  });

  return router;
}
