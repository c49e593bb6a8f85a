import { execFile } from 'node:child_process';
import { lstat, readlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/helpers/temp-dir.js';
import { PtyPair, socatAvailable } from './pty-pair.js';

const run = promisify(execFile);

/** socat processes whose command line mentions `text` (pgrep exits 1 when there is none). */
async function socatsMentioning(text: string): Promise<string[]> {
  try {
    const { stdout } = await run('pgrep', ['-a', 'socat']);
    return stdout.split('\n').filter((l) => l.includes(text));
  } catch {
    return [];
  }
}

function openPort(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  return new Promise((resolve, reject) => port.open((err) => (err ? reject(err) : resolve(port))));
}

describe('PtyPair', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it('connects its two ends and leaves no socat behind after close', async () => {
    expect(await socatAvailable()).toBe(true);
    const tmp = await makeTempDir();
    cleanups.push(() => tmp.remove());
    const pty = await PtyPair.open({ dir: tmp.path });
    expect((await readlink(pty.devicePath)).startsWith('/dev/pts/')).toBe(true);
    expect(await socatsMentioning(tmp.path)).toHaveLength(1);

    const dev = await openPort(pty.devicePath);
    const host = await openPort(pty.hostPath);
    const received = new Promise<string>((resolve) => host.once('data', (b: Buffer) => resolve(b.toString())));
    dev.write('ping\n');
    expect(await received).toBe('ping\n');
    await new Promise((r) => dev.close(r));
    await new Promise((r) => host.close(r));

    await pty.close();
    await pty.close(); // idempotent
    expect(await socatsMentioning(tmp.path)).toEqual([]);
    await expect(lstat(pty.hostPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('makes its own temp dir when none is given and removes it', async () => {
    const pty = await PtyPair.open();
    cleanups.push(() => pty.close());
    expect(pty.hostPath.startsWith(pty.dir)).toBe(true);
    await pty.close();
    await expect(lstat(pty.dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('replaces stale links left by a killed socat', async () => {
    const tmp = await makeTempDir();
    cleanups.push(() => tmp.remove());
    const first = await PtyPair.open({ dir: tmp.path });
    cleanups.push(() => first.close());
    const [line] = await socatsMentioning(tmp.path);
    await run('kill', ['-9', String(line?.split(' ')[0])]);
    // SIGKILL leaves the links behind, dangling.
    expect((await lstat(first.hostPath)).isSymbolicLink()).toBe(true);

    const second = await PtyPair.open({ dir: tmp.path });
    cleanups.push(() => second.close());
    const host = await openPort(second.hostPath);
    cleanups.push(() => new Promise((r) => host.close(r)));
    expect(host.isOpen).toBe(true);
    expect(await socatsMentioning(tmp.path)).toHaveLength(1);
    await first.close(); // its socat is gone already; must not hang or touch the new pair
    expect(host.isOpen).toBe(true);
  });
});
