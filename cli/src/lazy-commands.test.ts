/**
 * Every command shares one program, so what a command imports at the top every other command
 * carries too. The hub's resident memory (docs/performance.md, "Memory") depends on the agent
 * commands loading the edge package, the serial bindings and sharp only when they run.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const AGENT_ONLY = /\/node_modules\/(sharp|serialport|@serialport\/bindings-cpp|mqtt|croner|nodemailer|@techstark)\//;

/** CommonJS modules a fresh process has loaded after `script` (an ES module body). */
function loadedAfter(script: string): string[] {
  const probe = `${script}\nimport { createRequire } from 'node:module';\nprocess.stdout.write(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: new URL('../', import.meta.url).pathname, encoding: 'utf8' })) as string[];
}

describe('the mieruka program', () => {
  it('registers every command without loading the edge agents, serial bindings, sharp or nodemailer', () => {
    const loaded = loadedAfter(
      "const { buildProgram } = await import('./dist/program.js');\nconst p = buildProgram({ env: {}, cwd: process.cwd(), print: () => {}, keepRunning: () => {} });\nif (p.commands.length < 10) throw new Error('commands missing');",
    );
    expect(loaded.some((f) => f.includes('/node_modules/commander/')), 'the probe sees CommonJS modules').toBe(true);
    expect(loaded.filter((f) => AGENT_ONLY.test(f))).toEqual([]);
  });

  it('loads the edge package once a clutter subcommand runs', () => {
    const loaded = loadedAfter(
      "const { buildProgram } = await import('./dist/program.js');\nconst p = buildProgram({ env: {}, cwd: process.cwd(), print: () => {}, keepRunning: () => {} });\nawait p.parseAsync(['node', 'mieruka', 'clutter', 'score', 'missing.jpg', '--backend', 'wasm']).catch(() => null);",
    );
    expect(loaded.some((f) => /\/node_modules\/mqtt\//.test(f))).toBe(true);
  });
});
