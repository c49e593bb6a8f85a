// Worker thread of ingest.bench.mjs: the publishers, one MQTT.js client each, kept off the
// subscriber's thread so the subscriber reads as fast as the broker delivers. Each publisher
// sends `perNode` valid `current` readings (seq 0…perNode-1) with a window of `window`
// messages in flight (a PUBACK, or the socket write at QoS 0, frees a slot).
import { parentPort, workerData } from 'node:worker_threads';
import { connectAsync } from 'mqtt';

const { urls, site, nodes, perNode, qos, window, baseTs } = workerData;

/** A reading as the bridge publishes it: {ts, seq, irms[]} (protocol payloads.ts, docs/topics.md). */
const payload = (seq) => JSON.stringify({ ts: baseTs + seq * 1000, seq, irms: [Math.round(((seq * 7919) % 16000)) / 1000] });

const clients = await Promise.all(
  // Publisher i talks to broker i mod n (two hubs of a cluster: half the devices each).
  nodes.map((node, i) => connectAsync(urls[i % urls.length], { clientId: `bench-pub-${node}-${process.pid}`, reconnectPeriod: 0, clean: true })),
);
parentPort.postMessage({ type: 'ready' });

await new Promise((resolve) => parentPort.once('message', resolve));

let failed = null;
const runs = clients.map(
  (client, i) =>
    new Promise((resolve) => {
      const topic = `mieruka/v1/${site}/${nodes[i]}/current`;
      let next = 0;
      let done = 0;
      let inFlight = 0;
      let pumping = false;
      // MQTT.js may call a QoS 0 callback synchronously inside publish(): no recursion, one loop.
      const pump = () => {
        if (pumping) return;
        pumping = true;
        while (inFlight < window && next < perNode) {
          inFlight++;
          client.publish(topic, payload(next++), { qos }, (err) => {
            if (err) failed ??= err.message;
            inFlight--;
            if (++done === perNode) resolve();
            else pump();
          });
        }
        pumping = false;
      };
      pump();
    }),
);
await Promise.all(runs);
parentPort.postMessage({ type: 'done', sent: nodes.length * perNode, failed });
await Promise.all(clients.map((c) => c.endAsync()));
