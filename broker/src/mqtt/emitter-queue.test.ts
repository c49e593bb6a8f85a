/** mqemitter's arrays replaced by FIFOs on a real aedes broker, and the shared emitter's delivery bound. */
import { Aedes } from 'aedes';
import { describe, expect, it } from 'vitest';
import { Fifo } from '../fifo.js';
import { boundDeliveries, DELIVERY_CONCURRENCY, useFifoQueues } from './emitter-queue.js';

describe('useFifoQueues', () => {
  it("replaces aedes' mqemitter queues, which then keep messages waiting for a delivery slot in order", async () => {
    const aedes = await Aedes.createBroker({ concurrency: 1 });
    try {
      const mq = (aedes as unknown as { mq: { _messageQueue: unknown; emit(m: object, cb?: () => void): void; on(t: string, f: (m: { n: number }, cb: () => void) => void): void } }).mq;
      expect(useFifoQueues(mq)).toBe(true);
      expect(mq._messageQueue).toBeInstanceOf(Fifo);
      const got: number[] = [];
      mq.on('fifo/test', (m, cb) => {
        got.push(m.n);
        setImmediate(cb);
      });
      // Concurrency 1: all but the first wait in the queue.
      const all = Array.from({ length: 200 }, (_, n) => new Promise<void>((resolve) => mq.emit({ topic: 'fifo/test', n }, () => resolve())));
      await Promise.all(all);
      expect(got).toEqual(Array.from({ length: 200 }, (_, n) => n));
      expect(useFifoQueues({ _messageQueue: [1], _messageCallbacks: [] })).toBe(false);
      expect(useFifoQueues({})).toBe(false);
    } finally {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    }
  });

  it("applies to mqemitter-redis, the fleet mode's emitter (an MQEmitter underneath)", async () => {
    // Connections that never connect: only the emitter's shape is looked at.
    const { Redis } = await import('ioredis');
    const { default: mqemitterRedis } = await import('mqemitter-redis');
    const pubConn = new Redis({ lazyConnect: true });
    const subConn = new Redis({ lazyConnect: true });
    try {
      const mq = mqemitterRedis({ pubConn, subConn }) as unknown as { _messageQueue: unknown; _messageCallbacks: unknown };
      expect(useFifoQueues(mq)).toBe(true);
      expect(mq._messageQueue).toBeInstanceOf(Fifo);
      expect(mq._messageCallbacks).toBeInstanceOf(Fifo);
      // Made outside aedes it has no bound on deliveries under way; it gets aedes' own.
      const bounded = mq as unknown as { concurrency: number };
      expect(bounded.concurrency).toBe(0);
      expect(boundDeliveries(mq)).toBe(true);
      expect(bounded.concurrency).toBe(DELIVERY_CONCURRENCY);
      expect(boundDeliveries({})).toBe(false);
    } finally {
      pubConn.disconnect();
      subConn.disconnect();
    }
  });
});
