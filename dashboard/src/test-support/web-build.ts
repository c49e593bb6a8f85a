/**
 * The browser app built fresh by Vite (production mode) into a temp dir, for the Chromium
 * tests: they test the bundle a hub would serve, not a dev server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const viteConfig = fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url));

export type WebBuild = { dir: string; remove(): Promise<void> };

export async function buildWebApp(): Promise<WebBuild> {
  const dir = await mkdtemp(join(tmpdir(), 'mieruka-dist-web-'));
  // vitest sets NODE_ENV=test; the bundle under test must be the production one.
  const previousEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: viteConfig, mode: 'production', logLevel: 'warn', build: { outDir: dir, emptyOutDir: true } });
  } finally {
    process.env.NODE_ENV = previousEnv;
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
