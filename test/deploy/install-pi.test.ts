/**
 * scripts/install-pi.sh in --prefix mode: a real install of this checkout into a temporary root,
 * unprivileged (user, apt, systemctl and udevadm calls are printed, not run), then re-run,
 * upgrade, a failed upgrade that must roll back, uninstall and purge, in that order. Every unit
 * written passes `systemd-analyze verify`.
 */
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { appendFile, copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, openDatabase } from '@mieruka/broker';
import { loadConfig } from '../../cli/src/load-config.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = join(REPO, 'scripts/install-pi.sh');
const UNITS = ['mieruka-hub.service', 'mieruka-bridge@.service', 'mieruka-station.service', 'mieruka-patlite-relay.service'];

type Run = { code: number; stdout: string; stderr: string };

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    // Copies of the checkout take a while on 2 shared cores: bounded, but generously.
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: 240_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const installPi = (...args: string[]) => run('bash', [SCRIPT, ...args]);

/** Every path under dir (relative), symlinks not followed: the "tree" a run leaves. */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel))) {
      const p = rel ? `${rel}/${name}` : name;
      // The copied code is large and checked on its own; its top level is enough here.
      const full = join(dir, p);
      out.push(`${p} ${lstatSync(full).mode.toString(8)} ${lstatSync(full).isFile() ? readFileSync(full).length : ''}`);
      if (lstatSync(full).isDirectory() && !/^opt\/mieruka\/releases\/[^/]+$/.test(p)) walk(p);
    }
  };
  walk('');
  return out.sort();
}

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
const releases = (root: string) => readdirSync(join(root, 'opt/mieruka/releases')).sort();
const current = (root: string) => readlinkSync(join(root, 'opt/mieruka/current'));

// Copying and deleting the checkout (≈ 200 MB of small files) is slow on shared disks: a wide bound, not a timing claim.
describe('scripts/install-pi.sh --prefix', { timeout: 300_000 }, () => {
  let root = '';
  let scratch = '';
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    const dir = await makeTempDir('mieruka-install-');
    cleanups.push(() => dir.remove());
    root = join(dir.path, 'root');
    scratch = join(dir.path, 'scratch');
    await mkdir(scratch);
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('--dry-run prints what it would do and creates nothing', async () => {
    const r = await installPi('--prefix', root, '--dry-run');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[dry-run\] copy .* to .*\/opt\/mieruka\/releases\//);
    expect(r.stdout).toContain(`[dry-run] write ${root}/etc/mieruka/mieruka.yaml (mode 0640)`);
    expect(r.stdout).toContain(`[dry-run] write ${root}/etc/systemd/system/mieruka-hub.service (mode 0644)`);
    expect(r.stdout).toContain('[dry-run] systemctl enable --now mieruka-hub.service');
    expect(existsSync(root)).toBe(false);
  });

  it('installs code, config, data dir, units and the udev rule under the prefix', async () => {
    const r = await installPi('--prefix', root);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // System changes are shown, not made.
    expect(r.stdout).toContain('[prefix: skipped] systemctl enable --now mieruka-hub.service');
    expect(r.stdout).toContain('[prefix: skipped] udevadm control --reload-rules');
    expect(r.stdout).toContain('[prefix: skipped] chown mieruka:mieruka /var/lib/mieruka');

    const [release] = releases(root);
    expect(current(root)).toBe(`releases/${release}`);
    const code = join(root, 'opt/mieruka/current');
    expect(existsSync(join(code, 'bin/mieruka.js'))).toBe(true);
    expect(existsSync(join(code, 'cli/dist/main.js'))).toBe(true);
    expect(existsSync(join(code, 'node_modules/better-sqlite3'))).toBe(true);
    expect(existsSync(join(code, '.git'))).toBe(false);

    const yaml = join(root, 'etc/mieruka/mieruka.yaml');
    expect(readFileSync(yaml, 'utf8')).toBe(readFileSync(join(REPO, 'deploy/mieruka.example.yaml'), 'utf8'));
    expect(mode(yaml)).toBe('640');
    expect(mode(join(root, 'etc/mieruka'))).toBe('750');
    expect(mode(join(root, 'var/lib/mieruka'))).toBe('750');
    for (const u of UNITS) expect(mode(join(root, 'etc/systemd/system', u))).toBe('644');
    expect(readFileSync(join(root, 'etc/udev/rules.d/99-mieruka-esp32.rules'), 'utf8')).toBe(readFileSync(join(REPO, 'deploy/udev/99-mieruka-esp32.rules'), 'utf8'));
    // The command people type runs the current release (the real path: it runs on the Pi, not here).
    const command = join(root, 'usr/local/bin/mieruka');
    expect(mode(command)).toBe('755');
    expect(readFileSync(command, 'utf8')).toMatch(/^exec \S*node \/opt\/mieruka\/current\/bin\/mieruka\.js "\$@"$/m);
  });

  it('the config it wrote is valid for the real config loader', () => {
    const { config } = loadConfig({ file: join(root, 'etc/mieruka/mieruka.yaml'), env: {} });
    expect(config.site).toBe('factory');
    expect(config.hub.dataDir).toBe('/var/lib/mieruka');
    expect(config.machines['mill-1']?.runningAboveA).toBe(1.5);
  });

  it('every unit it wrote passes systemd-analyze verify, and runs code that is there', async () => {
    // Verified as files by path, against the host's systemd (--root=<prefix> would need a whole
    // OS in the prefix: sysinit.target, /usr/bin/node). verify does not look up User=. The
    // template is verified as an instance, the way systemd loads it.
    for (const u of UNITS) {
      const src = join(root, 'etc/systemd/system', u);
      const file = u.endsWith('@.service') ? join(scratch, u.replace('@.service', '@mill-1.service')) : src;
      if (file !== src) await copyFile(src, file);
      const r = await run('systemd-analyze', ['verify', '--man=no', '--generators=no', file]);
      expect({ unit: u, ...r }).toEqual({ unit: u, code: 0, stdout: '', stderr: '' });

      const text = readFileSync(src, 'utf8');
      expect(text).toMatch(/^Type=notify$/m);
      expect(text).toMatch(/^WatchdogSec=\d+$/m);
      expect(text).toMatch(/^NotifyAccess=all$/m);
      expect(text).toMatch(/^User=mieruka$/m);
      expect(text).toMatch(/^ProtectSystem=strict$/m);
      expect(text).toMatch(/^ReadWritePaths=\/var\/lib\/mieruka$/m);
      const exec = /^ExecStart=(\S+) .*?(\/opt\/mieruka\/current\/bin\/mieruka\.js) (\S+)/m.exec(text);
      expect(exec, u).not.toBeNull();
      expect(existsSync(exec![1]!)).toBe(true); // the node this machine has
      expect(existsSync(join(root, exec![2]!))).toBe(true);
      expect(exec![3]).toBe(u.replace(/^mieruka-/, '').replace(/@?\.service$/, ''));
    }
    expect(readFileSync(join(root, 'etc/systemd/system/mieruka-hub.service'), 'utf8')).toContain('--max-semi-space-size=2');
  });

  it('a second run changes nothing and never overwrites the config', async () => {
    const yaml = join(root, 'etc/mieruka/mieruka.yaml');
    await appendFile(yaml, '# edited by the installer person\n');
    const before = tree(root);
    const r = await installPi('--prefix', root);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`kept ${yaml} (never overwritten)`);
    expect(r.stdout).toContain('unit mieruka-hub.service: unchanged');
    expect(r.stdout).not.toContain('systemctl daemon-reload');
    expect(tree(root)).toEqual(before);
    expect(readFileSync(yaml, 'utf8')).toContain('# edited by the installer person');
  });

  it('--dry-run uninstall on an installed tree changes nothing', async () => {
    const before = tree(root);
    const r = await installPi('uninstall', '--prefix', root, '--dry-run', '--purge');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`[dry-run] rm -rf ${root}/opt/mieruka`);
    expect(r.stdout).toContain(`[dry-run] rm -f ${root}/etc/systemd/system/mieruka-hub.service`);
    expect(tree(root)).toEqual(before);
  });

  it('upgrade installs a new release beside the old one, migrates the store and switches', async () => {
    openDatabase(join(root, 'var/lib/mieruka/mieruka.db')).close();
    const [old] = releases(root);
    const r = await installPi('upgrade', '--prefix', root);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`schema version ${SCHEMA_VERSION}, up to date`);
    expect(r.stdout).toContain('[prefix: skipped] systemctl start mieruka-hub.service');
    const now = releases(root);
    expect(now).toHaveLength(2);
    expect(now).toContain(old);
    expect(current(root)).not.toBe(`releases/${old}`);
    expect(existsSync(join(root, 'etc/mieruka/mieruka.yaml'))).toBe(true);
    expect(existsSync(join(root, 'var/lib/mieruka/mieruka.db'))).toBe(true);
  });

  it('a failing upgrade (the database is from a newer release) switches back and restores the database', async () => {
    const db = new Database(join(root, 'var/lib/mieruka/mieruka.db'));
    db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)').run(SCHEMA_VERSION + 90, 'from the future', 0);
    db.close();
    const before = current(root);
    const kept = releases(root);
    const r = await installPi('upgrade', '--prefix', root);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/newer than this Mieruka/);
    expect(r.stderr).toContain('upgrade rolled back to');
    expect(current(root)).toBe(before);
    expect(releases(root)).toEqual(kept);
    const after = new Database(join(root, 'var/lib/mieruka/mieruka.db'), { readonly: true });
    expect((after.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number }).v).toBe(SCHEMA_VERSION + 90);
    after.close();
  });

  it('uninstall removes units, rule and code but keeps config and data; --purge removes those too', async () => {
    // One role first: the other role's unit and the code stay.
    const edge = await installPi('uninstall', '--edge', '--prefix', root);
    expect(edge.code).toBe(0);
    expect(existsSync(join(root, 'etc/systemd/system/mieruka-station.service'))).toBe(false);
    expect(existsSync(join(root, 'etc/udev/rules.d/99-mieruka-esp32.rules'))).toBe(false);
    expect(existsSync(join(root, 'etc/systemd/system/mieruka-hub.service'))).toBe(true);
    expect(existsSync(join(root, 'opt/mieruka/current/bin/mieruka.js'))).toBe(true);

    const r = await installPi('uninstall', '--prefix', root);
    expect(r.code).toBe(0);
    for (const u of UNITS) expect(existsSync(join(root, 'etc/systemd/system', u))).toBe(false);
    expect(existsSync(join(root, 'etc/udev/rules.d/99-mieruka-esp32.rules'))).toBe(false);
    expect(existsSync(join(root, 'opt/mieruka'))).toBe(false);
    expect(existsSync(join(root, 'usr/local/bin/mieruka'))).toBe(false);
    expect(readFileSync(join(root, 'etc/mieruka/mieruka.yaml'), 'utf8')).toContain('# edited by the installer person');
    expect(existsSync(join(root, 'var/lib/mieruka/mieruka.db'))).toBe(true);

    const purge = await installPi('uninstall', '--purge', '--prefix', root);
    expect(purge.code).toBe(0);
    expect(existsSync(join(root, 'etc/mieruka'))).toBe(false);
    expect(existsSync(join(root, 'var/lib/mieruka'))).toBe(false);
  });

  it('refuses an architecture it does not support, with a clear message', async () => {
    const r = await run('bash', [SCRIPT, '--prefix', join(scratch, 'never'), '--hub'], { INSTALL_PI_ARCH: 'mips' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('architecture mips is not supported');
    expect(existsSync(join(scratch, 'never', 'opt'))).toBe(false);
  });
});

describe('deploy/udev/99-mieruka-esp32.rules', () => {
  // Debian 12's udevadm (systemd 252) has no `verify` (it came in 254): parsed here instead.
  const text = readFileSync(join(REPO, 'deploy/udev/99-mieruka-esp32.rules'), 'utf8');
  const rules = text.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  const TOKEN = /^([A-Z_]+(?:\{[^}]+\})?)\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"$/;

  it('is made only of KEY op "value" pairs udev understands, with labels that exist', () => {
    const keys = new Set(['ACTION', 'SUBSYSTEM', 'SUBSYSTEMS', 'ATTRS', 'ENV', 'GOTO', 'LABEL', 'GROUP', 'MODE', 'IMPORT', 'SYMLINK']);
    const gotos: string[] = [];
    const labels: string[] = [];
    for (const line of rules) {
      for (const pair of line.split(/,\s*/)) {
        const m = TOKEN.exec(pair.trim());
        expect(m, `"${pair}" in: ${line}`).not.toBeNull();
        expect(keys.has(m![1]!.replace(/\{.*$/, '')), m![1]).toBe(true);
        if (m![1] === 'GOTO') gotos.push(m![3]!);
        if (m![1] === 'LABEL') labels.push(m![3]!);
      }
    }
    expect(labels).toEqual(['mieruka_esp32_end']);
    expect(new Set(gotos)).toEqual(new Set(labels));
  });

  it('names the four ESP32 USB chips, dialout 0660, under /dev/mieruka/', () => {
    for (const [vid, pid] of [['10c4', 'ea60'], ['1a86', '7523'], ['1a86', '55d4'], ['303a', '1001']]) {
      expect(text).toContain(`ATTRS{idVendor}=="${vid}", ATTRS{idProduct}=="${pid}"`);
    }
    expect(text).toMatch(/^GROUP="dialout", MODE="0660"$/m);
    expect(text).toContain('SYMLINK+="mieruka/esp32-$env{ID_SERIAL_SHORT}"');
  });
});
