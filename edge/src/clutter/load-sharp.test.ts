/** Importing the edge package must not load sharp (libvips): a bridge never touches an image. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadSharp } from './load-sharp.js';

describe('loadSharp', () => {
  it('is not loaded by importing @mieruka/edge, and loads on first use', () => {
    const script = [
      "import { createRequire } from 'node:module';",
      'const cache = createRequire(import.meta.url).cache;',
      "const has = () => Object.keys(cache).some((f) => f.includes('/node_modules/sharp/'));",
      "const edge = await import('@mieruka/edge');",
      'const before = has();',
      "await edge.decodeRgb(Buffer.from('not an image')).catch(() => null);",
      'process.stdout.write(JSON.stringify([before, has()]));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('../../', import.meta.url).pathname, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([false, true]);
  });

  it('hands out the same module every time', async () => {
    const [a, b] = await Promise.all([loadSharp(), loadSharp()]);
    expect(a).toBe(b);
    expect(typeof a).toBe('function');
  });
});
