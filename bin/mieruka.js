#!/usr/bin/env node
// Entry point of the `mieruka` command (npx mieruka …). The program lives in cli/src (the composition root).
import { existsSync } from 'node:fs';

const entry = new URL('../cli/dist/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('mieruka: not built yet. Run `npm ci` (it builds) or `npm run build` in the repository root.\n');
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
