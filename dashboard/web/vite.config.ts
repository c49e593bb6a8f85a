/**
 * Builds the browser app into dashboard/dist-web. JSX goes through Vite's own esbuild
 * transform (automatic runtime, Preact) — no framework plugin needed.
 * `npm run dev --workspace dashboard` proxies /api (and the ws feed) to a running hub.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: false,
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: fileURLToPath(new URL('../dist-web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2020',
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/api': { target: process.env.MIERUKA_HUB_URL ?? 'http://127.0.0.1:8080', ws: true } },
  },
});
