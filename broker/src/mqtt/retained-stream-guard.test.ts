import aedesPersistenceLevel from 'aedes-persistence-level';
import { ClassicLevel } from 'classic-level';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test-support/helpers.js';
import { guardRetainedStreams } from './retained-stream-guard.js';

type Persistence = {
  storeRetained(packet: object): Promise<void>;
  createRetainedStream(pattern: string): NodeJS.ReadableStream;
  createRetainedStreamCombi(patterns: string[]): NodeJS.ReadableStream;
};

describe('guardRetainedStreams', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>> | undefined;
  afterEach(async () => dir?.remove());

  async function persistenceWithOneRetained(): Promise<{ db: ClassicLevel<string, Buffer>; persistence: Persistence; warnings: string[] }> {
    dir = await makeTempDir();
    const db = new ClassicLevel<string, Buffer>(dir.path, { valueEncoding: 'buffer' });
    await db.open();
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line).msg as string) });
    const persistence = guardRetainedStreams(aedesPersistenceLevel(db) as unknown as Persistence, logger);
    await persistence.storeRetained({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('x'), qos: 0, retain: true });
    return { db, persistence, warnings };
  }

  const collect = (stream: NodeJS.ReadableStream) =>
    new Promise<{ topics: string[]; error: unknown }>((resolve) => {
      const topics: string[] = [];
      stream.on('data', (p: { topic: string }) => topics.push(p.topic));
      stream.on('error', (error) => resolve({ topics, error }));
      stream.on('end', () => resolve({ topics, error: null }));
    });

  it('passes retained messages through while the store is open', async () => {
    const { db, persistence } = await persistenceWithOneRetained();
    expect(await collect(persistence.createRetainedStreamCombi(['a/#']))).toEqual({ topics: ['a/b'], error: null });
    expect(await collect(persistence.createRetainedStream('#'))).toEqual({ topics: ['a/b'], error: null });
    await db.close();
  });

  it('ends the stream without an error when the store closed under it (a hub stopping during a SUBSCRIBE)', async () => {
    const { db, persistence, warnings } = await persistenceWithOneRetained();
    const combi = persistence.createRetainedStreamCombi(['a/#']);
    const single = persistence.createRetainedStream('#');
    await db.close();
    expect(await collect(combi)).toEqual({ topics: [], error: null });
    expect(await collect(single)).toEqual({ topics: [], error: null });
    expect(warnings).toEqual([expect.stringContaining('reading retained messages failed'), expect.stringContaining('reading retained messages failed')]);
  });
});
