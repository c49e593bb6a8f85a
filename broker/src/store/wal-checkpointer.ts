/**
 * WAL checkpoints off the ingest thread. SQLite's automatic checkpoint runs inside the COMMIT
 * that crosses `wal_autocheckpoint` pages and, with synchronous=NORMAL, syncs the database
 * file there: on the hub's one JavaScript thread, which also acknowledges QoS 1 messages after
 * their commit. Measured on 100,000 readings committed 74 at a time (the group commits of the
 * ingest bench at QoS 1): 3.6 s with the default checkpoints, 1.6 s without. Here a worker
 * thread with its own connection runs a PASSIVE checkpoint (it never blocks the writer or
 * readers) every `intervalMs`; the ingest connection keeps a far higher automatic threshold
 * as a backstop, so the WAL stays bounded even if the worker is stuck. When the worker cannot
 * start, the default automatic checkpoints stay in place.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';

/** The automatic threshold kept as a backstop while the worker checkpoints (pages; SQLite's default is 1000). */
export const BACKSTOP_PAGES = 16_000;
const DEFAULT_PAGES = 1000;

// CommonJS run by the worker: a connection of its own, a PASSIVE checkpoint on each tick.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (err) { parentPort.postMessage({ error: String(err && err.message || err) }); } };
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
parentPort.postMessage({ ready: true });
`;

export type WalCheckpointerOptions = { db: Database; file: string; intervalMs: number; logger: Logger };

export class WalCheckpointer {
  private readonly options: WalCheckpointerOptions;
  private worker: Worker | null = null;
  private lastErrorLog = 0;

  constructor(options: WalCheckpointerOptions) {
    this.options = options;
  }

  /** True while the worker does the checkpoints. */
  get active(): boolean {
    return this.worker !== null;
  }

  async start(): Promise<void> {
    if (this.worker) return;
    const { db, file, intervalMs, logger } = this.options;
    try {
      const driver = createRequire(import.meta.url).resolve('better-sqlite3');
      const worker = new Worker(WORKER, { eval: true, workerData: { driver, file, intervalMs } });
      await new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`checkpoint worker exited (${code})`)));
      });
      worker.removeAllListeners();
      worker.on('message', (m: { error?: string }) => {
        // A failing checkpoint is not fatal (the backstop threshold still holds): log once a minute.
        const at = performance.now();
        if (m.error && at - this.lastErrorLog > 60_000) {
          this.lastErrorLog = at;
          logger.warn({ err: m.error }, 'WAL checkpoint in the worker failed');
        }
      });
      worker.on('error', (err) => {
        logger.warn({ err }, 'WAL checkpoint worker failed; checkpoints return to the ingest thread');
        this.fallBack();
      });
      worker.unref();
      this.worker = worker;
      db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    } catch (err) {
      logger.warn({ err }, 'cannot start the WAL checkpoint worker; SQLite checkpoints on the ingest thread');
      this.fallBack();
    }
  }

  private fallBack(): void {
    this.worker = null;
    try {
      this.options.db.pragma(`wal_autocheckpoint = ${DEFAULT_PAGES}`);
    } catch {
      // The database is closing; nothing to restore.
    }
  }

  /** Ends the worker (its connection closed) before the store closes the database. */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    worker.removeAllListeners('error');
    // Referenced while stopping: an unreferenced worker and timer would let the process leave
    // with this await unsettled.
    worker.ref();
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('stop');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)))]);
    clearTimeout(timer);
    await worker.terminate();
    this.fallBack();
  }
}
