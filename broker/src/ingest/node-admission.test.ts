/**
 * Caps on new nodes (issue 14, item 6) on real parts: a started hub with small caps, MQTT.js
 * publishing as made-up nodes, and a restart on the same data dir.
 */
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { encodePayload, topicFor } from '@mieruka/protocol';
import { Hub } from '../hub.js';
import { closeClient, connectClient, hubConfig, makeTempDir, silentLogger, waitFor } from '../test-support/helpers.js';

describe('nodes per site and sites', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>> | undefined;
  let hub: Hub | undefined;
  let client: MqttClient | undefined;

  afterEach(async () => {
    await closeClient(client);
    await hub?.stop();
    await dir?.remove();
    client = hub = dir = undefined;
  });

  const caps = { hub: { ingest: { maxNodesPerSite: 2, maxSites: 2 } } };

  async function start(): Promise<Hub> {
    dir ??= await makeTempDir();
    hub = new Hub({ config: hubConfig(dir.path, caps), logger: silentLogger });
    await hub.start();
    client = await connectClient(hub.mqttUrl, { clientId: 'nodes-test' });
    return hub;
  }

  const status = (site: string, node: string) =>
    client!.publishAsync(topicFor(site, node, 'status'), encodePayload('status', { online: true, ts: Date.now(), agent: 'bridge', version: '1' }), { qos: 1 });

  it('admits new nodes up to the caps, refuses the rest as asking to join, counted, also after a restart', async () => {
    let h = await start();
    await status('factory', 'a');
    await status('factory', 'b');
    await status('factory', 'c'); // third node of the site
    await status('other', 'x'); // second site
    await status('third', 'y'); // third site
    await status('factory', 'c'); // asks again
    await waitFor(() => h.ingestStats().received === 6, 'six messages');
    await h.flush();
    expect(h.live.list().map((n) => `${n.site}/${n.node}`).sort()).toEqual(['factory/a', 'factory/b', 'other/x']);
    expect(h.ingestStats().invalid.byReason).toEqual({ 'too-many-nodes': 2, 'too-many-sites': 1 });
    expect(h.joinRequests()).toEqual([
      expect.objectContaining({ site: 'factory', node: 'c', count: 2 }),
      expect.objectContaining({ site: 'third', node: 'y', count: 1 }),
    ]);
    expect(h.dataSource.listJoinRequests()).toHaveLength(2);
    expect(h.stats().nodesAskingToJoin).toBe(2);
    expect(await h.store.count('nodes')).toBe(3);
    expect(await h.store.count('ingest_errors')).toBe(0);

    // A restart knows its nodes from the store: known ones keep reporting, the caps still hold.
    await closeClient(client);
    await h.stop();
    h = await start();
    await status('factory', 'a');
    await status('factory', 'd');
    await waitFor(() => h.ingestStats().received === 2, 'two messages');
    expect(h.ingestStats().invalid.byReason).toEqual({ 'too-many-nodes': 1 });
    await h.flush();
    expect(h.joinRequests().map((r) => r.node).sort()).toEqual(['c', 'd', 'y']);

    // An admin admits one past the cap: its next message is accepted, the others still wait.
    expect(await h.dataSource.admitJoinRequest('factory', 'd', 'admin')).toEqual({ outcome: 'admitted' });
    expect(await h.dataSource.admitJoinRequest('factory', 'nobody', 'admin')).toEqual({ outcome: 'not-found' });
    expect(await h.dataSource.dismissJoinRequest('third', 'y', 'admin')).toEqual({ outcome: 'dismissed' });
    expect(await h.dataSource.dismissJoinRequest('third', 'y', 'admin')).toEqual({ outcome: 'not-found' });
    await status('factory', 'd');
    await status('factory', 'e');
    await waitFor(() => h.ingestStats().received === 4, 'four messages');
    await h.flush();
    expect(h.live.list().map((n) => `${n.site}/${n.node}`).sort()).toEqual(['factory/a', 'factory/b', 'factory/d', 'other/x']);
    expect(h.ingestStats().invalid.byReason).toEqual({ 'too-many-nodes': 2 });
    expect(h.joinRequests().map((r) => r.node).sort()).toEqual(['c', 'e']);
    expect(h.stats().nodesAskingToJoin).toBe(2);
  });
});
