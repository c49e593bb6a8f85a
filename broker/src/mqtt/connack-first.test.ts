/**
 * connack-first.ts on aedes' client shape: deliveries wait for the CONNACK, then go in order;
 * a connection that closes first frees them undelivered. (End to end: a persistent session
 * resumed on another hub under traffic, test/hub/two-hubs.redis.test.ts, hung without it.)
 */
import { EventEmitter } from 'node:events';
import type { Client } from 'aedes';
import { describe, expect, it } from 'vitest';
import { holdUntilConnack, releaseAfterConnack } from './connack-first.js';

type Deliver = (packet: unknown, done: () => void) => void;

function fakeClient() {
  const delivered: string[] = [];
  const client = {
    conn: new EventEmitter(),
    deliver0: ((p, done) => {
      delivered.push(`0:${String(p)}`);
      done();
    }) as Deliver,
    deliverQoS: ((p, done) => {
      delivered.push(`1:${String(p)}`);
      done();
    }) as Deliver,
  };
  return { client, delivered, asAedes: client as unknown as Client };
}

describe('CONNACK first', () => {
  it('holds deliveries until the CONNACK is out, then delivers them in order, and later ones at once', () => {
    const { client, delivered, asAedes } = fakeClient();
    holdUntilConnack(asAedes);
    const done: string[] = [];
    client.deliverQoS('a', () => done.push('a'));
    client.deliver0('b', () => done.push('b'));
    expect(delivered).toEqual([]);
    expect(done).toEqual([]);
    releaseAfterConnack(asAedes);
    expect(delivered).toEqual(['1:a', '0:b']);
    expect(done).toEqual(['a', 'b']);
    client.deliverQoS('c', () => done.push('c'));
    expect(delivered).toEqual(['1:a', '0:b', '1:c']);
  });

  it('frees what waited, undelivered, when the connection closes before its CONNACK', () => {
    const { client, delivered, asAedes } = fakeClient();
    holdUntilConnack(asAedes);
    const done: string[] = [];
    client.deliverQoS('a', () => done.push('a'));
    client.conn.emit('close');
    expect(done).toEqual(['a']);
    releaseAfterConnack(asAedes);
    expect(delivered).toEqual([]);
  });
});
