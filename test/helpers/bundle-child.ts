/**
 * Bundles a TypeScript entry into one ESM file that plain `node` runs as a child process, for
 * tests that kill or watch a real process. Workspace packages come from their TypeScript
 * sources (like the vitest aliases); every other package stays external and resolves from
 * node_modules, which is why the bundle is written under node_modules/.cache.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const fromRoot = createRequire(join(REPO, 'package.json'));

function resolves(req: NodeRequire, name: string): string | null {
  try {
    return req.resolve(name);
  } catch {
    return null;
  }
}

const workspaceSources: Plugin = {
  name: 'workspace-sources',
  setup(b) {
    b.onResolve({ filter: /^@mieruka\/[a-z-]+(\/[a-z-]+)?$/ }, (args) => {
      const [pkg = '', sub] = args.path.slice('@mieruka/'.length).split('/');
      return { path: join(REPO, pkg, 'src', ...(sub ? [sub] : []), 'index.ts') };
    });
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@mieruka/')) return undefined;
      // A package npm could not hoist (e.g. broker/node_modules/aedes-persistence-redis, whose
      // version is outside aedes' peer range) is not found from node_modules/.cache: its file, then.
      if (!args.path.startsWith('node:') && !resolves(fromRoot, args.path) && args.resolveDir) {
        const nested = resolves(createRequire(join(args.resolveDir, 'noop.js')), args.path);
        if (nested) return { path: nested, external: true };
      }
      return { path: args.path, external: true };
    });
  },
};

export type BundledChild = { script: string; remove(): Promise<void> };

/** `entry`: absolute path of the child's TypeScript source. */
export async function bundleChild(entry: string, prefix: string): Promise<BundledChild> {
  const cacheDir = join(REPO, 'node_modules', '.cache');
  await mkdir(cacheDir, { recursive: true });
  const outDir = await mkdtemp(join(cacheDir, prefix));
  const script = join(outDir, 'child.mjs');
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: script, plugins: [workspaceSources], logLevel: 'silent' });
  return { script, remove: () => rm(outDir, { recursive: true, force: true }) };
}
