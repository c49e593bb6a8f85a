/**
 * sd_notify for the systemd units (deploy/systemd/): READY=1 once a long-running command has
 * started, WATCHDOG=1 at half of WATCHDOG_USEC while the event loop turns, STOPPING=1 on shutdown.
 * Only when systemd set NOTIFY_SOCKET; otherwise nothing at all.
 *
 * Node has no AF_UNIX datagram sockets, and the npm packages that add them (sd-notify,
 * unix-dgram) are native addons compiled at install time with no prebuilt binaries for the Pi.
 * So each message goes through systemd's own `systemd-notify`, which waits until the manager
 * has read it (no race with its own exit). The message then comes from a child process, not
 * the main one: the units say NotifyAccess=all for that reason.
 */
import { execFile } from 'node:child_process';

/** Runs `systemd-notify` with these assignments; resolves when it has exited. */
export type NotifyRunner = (assignments: string[], env: Record<string, string | undefined>) => Promise<void>;

export type SystemdNotifier = {
  ready(status?: string): Promise<void>;
  /** STOPPING=1 and no more watchdog pings. */
  stopping(): Promise<void>;
  /** Ends the watchdog timer (nothing is sent). */
  close(): void;
};

export type SystemdNotifyOptions = {
  env: Record<string, string | undefined>;
  /** This process's id: the watchdog is ours only when WATCHDOG_PID is unset or names it. */
  pid: number;
  /** Told once per failed message kind; a missing systemd-notify must not stop the service. */
  onError?: (message: string) => void;
  run?: NotifyRunner;
};

const runSystemdNotify: NotifyRunner = (assignments, env) =>
  new Promise((resolve, reject) => {
    execFile('systemd-notify', assignments, { env, timeout: 10_000 }, (err) => (err ? reject(err) : resolve()));
  });

/** Half of WATCHDOG_USEC in ms, as sd_watchdog_enabled(3) advises; undefined when no watchdog is asked for. */
export function watchdogIntervalMs(env: Record<string, string | undefined>, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== String(pid)) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

/** Undefined when the process was not started by systemd with a notify socket. */
export function createSystemdNotifier(options: SystemdNotifyOptions): SystemdNotifier | undefined {
  const socket = options.env.NOTIFY_SOCKET;
  if (!socket) return undefined;
  const run = options.run ?? runSystemdNotify;
  // systemd-notify reads NOTIFY_SOCKET itself; the other variables stay out of its environment.
  const env = { NOTIFY_SOCKET: socket, PATH: options.env.PATH ?? '/usr/bin:/bin' };
  const failed = new Set<string>();
  const send = async (kind: string, assignments: string[]) => {
    try {
      await run(assignments, env);
    } catch (err) {
      if (failed.has(kind)) return;
      failed.add(kind);
      options.onError?.(`systemd-notify ${assignments.join(' ')} failed: ${(err as Error).message}`);
    }
  };
  const interval = watchdogIntervalMs(options.env, options.pid);
  let timer: NodeJS.Timeout | undefined;
  let ping: Promise<void> | undefined;
  let closed = false;
  const close = () => {
    closed = true;
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  return {
    async ready(status) {
      await send('ready', ['READY=1', ...(status ? [`STATUS=${status}`] : [])]);
      if (interval === undefined || timer || closed) return;
      // The timer only fires while the event loop turns: a blocked loop misses pings and systemd restarts us.
      timer = setInterval(() => {
        if (ping) return;
        ping = send('watchdog', ['WATCHDOG=1']).finally(() => (ping = undefined));
      }, interval);
      timer.unref();
    },
    async stopping() {
      close();
      // After a ping still on its way, so that STOPPING=1 is the last word.
      await ping;
      await send('stopping', ['STOPPING=1']);
    },
    close,
  };
}
