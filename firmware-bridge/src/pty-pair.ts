/**
 * A pair of connected pseudo-terminals made by socat: what one side writes the other reads,
 * like the two ends of a USB serial cable. `devicePath` is for the (simulated) ESP32,
 * `hostPath` for the reader. Used by the demo and the end-to-end tests.
 *
 * No orphan socat: it runs under a tiny shell that holds a pipe from us on its stdin. close()
 * ends that pipe; if this process dies instead (crash, SIGKILL), the pipe closes all the same
 * and the shell kills socat. close() waits until socat has exited.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MierukaError } from '@mieruka/protocol';

// "$@" are socat's arguments. Exit code 127 from the shell means socat is not installed.
const WATCHDOG = [
  'command -v socat >/dev/null 2>&1 || exit 127',
  'socat "$@" & s=$!',
  "trap 'kill $s 2>/dev/null; wait $s; exit 143' TERM INT HUP",
  // Blocks until our end of stdin closes (close() or our death).
  'while read -r _; do :; done',
  'kill $s 2>/dev/null',
  'wait $s',
  'exit 0',
].join('\n');

export class PtyPair {
  readonly devicePath: string;
  readonly hostPath: string;
  readonly dir: string;
  private readonly child: ChildProcess;
  private readonly ownsDir: boolean;
  private readonly exited: Promise<void>;
  private closed = false;

  private constructor(child: ChildProcess, dir: string, ownsDir: boolean, exited: Promise<void>) {
    this.child = child;
    this.dir = dir;
    this.ownsDir = ownsDir;
    this.devicePath = join(dir, 'dev');
    this.hostPath = join(dir, 'host');
    this.exited = exited;
  }

  /**
   * Starts socat and resolves once both links exist. `dir` (default: a new temp dir) holds the
   * links `dev` and `host`; opening a new pair in the same dir gives the same paths, as a
   * re-plugged device keeps its /dev/serial/by-id name.
   */
  static async open(options: { dir?: string; timeoutMs?: number } = {}): Promise<PtyPair> {
    const ownsDir = options.dir === undefined;
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'mieruka-pty-')));
    const devicePath = join(dir, 'dev');
    const hostPath = join(dir, 'host');
    // Links left by a killed socat would look ready before the new ones exist.
    await rm(devicePath, { force: true });
    await rm(hostPath, { force: true });

    const args = ['-d', '-d', `pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${hostPath}`];
    const child = spawn('sh', ['-c', WATCHDOG, 'sh', ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      stderr = (stderr + s).slice(-4000);
    });
    let exitCode: number | null | undefined;
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code) => {
        exitCode = code;
        resolve();
      });
      child.once('error', (err) => {
        stderr += `\n${err.message}`;
        exitCode = -1;
        resolve();
      });
    });
    // Writing to a dead shell's stdin must not raise an unhandled error.
    child.stdin?.on('error', () => undefined);
    const pair = new PtyPair(child, dir, ownsDir, exited);

    const deadline = Date.now() + (options.timeoutMs ?? 5000);
    for (;;) {
      if (exitCode !== undefined) {
        await pair.close();
        if (exitCode === 127) throw new MierukaError('DEPENDENCY_MISSING', 'socat is not installed (apt install socat): cannot create a pty pair');
        throw new MierukaError('DEPENDENCY_MISSING', `socat exited (${exitCode}) before the pty pair was ready: ${stderr.trim().slice(-500)}`);
      }
      if ((await exists(devicePath)) && (await exists(hostPath))) return pair;
      if (Date.now() > deadline) {
        await pair.close();
        throw new MierukaError('DEPENDENCY_MISSING', `socat did not create ${devicePath} and ${hostPath} in time: ${stderr.trim().slice(-500)}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Stops socat and waits for it to exit (the links disappear with it). */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.child.stdin?.end();
      const timer = setTimeout(() => this.child.kill('SIGTERM'), 2000);
      const hardTimer = setTimeout(() => this.child.kill('SIGKILL'), 4000);
      await this.exited;
      clearTimeout(timer);
      clearTimeout(hardTimer);
      // socat removes its links itself; stale ones (after SIGKILL) are removed by open().
      if (this.ownsDir) await rm(this.dir, { recursive: true, force: true });
    }
    await this.exited;
  }

  /** Same as close(), so a PtyPair can sit in a list of things to stop. */
  stop(): Promise<void> {
    return this.close();
  }
}

/** Whether socat can be run here (the demo falls back to an in-process link without it). */
export function socatAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('socat', ['-V'], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path); // follows the link: the pty behind it must exist too
    return true;
  } catch {
    return false;
  }
}
