/**
 * aedes pipes the persistence's retained-message stream into the subscriber without an
 * 'error' listener (aedes lib/handlers/subscribe.js), so a failed read, such as LevelDB closed
 * by a hub stopping while a SUBSCRIBE is being answered, became an uncaught exception that
 * ends the process. Here those streams end instead, and the failure is logged.
 */
import { Readable } from 'node:stream';
import type { Logger } from 'pino';

type RetainedStreams = {
  createRetainedStream(pattern: string): Readable;
  createRetainedStreamCombi(patterns: string[]): Readable;
};

async function* endOnError<T>(source: AsyncIterable<T>, onError: (err: unknown) => void): AsyncGenerator<T> {
  try {
    for await (const item of source) yield item;
  } catch (err) {
    onError(err);
  }
}

/** Wraps the two retained-stream factories of an aedes persistence in place. */
export function guardRetainedStreams<P extends object>(persistence: P, logger: Logger): P {
  const target = persistence as unknown as RetainedStreams;
  const single = target.createRetainedStream.bind(persistence);
  const combi = target.createRetainedStreamCombi.bind(persistence);
  const onError = (err: unknown): void => logger.warn({ err }, 'reading retained messages failed; the subscriber gets none this time');
  target.createRetainedStream = (pattern) => Readable.from(endOnError(single(pattern), onError));
  target.createRetainedStreamCombi = (patterns) => Readable.from(endOnError(combi(patterns), onError));
  return persistence;
}
