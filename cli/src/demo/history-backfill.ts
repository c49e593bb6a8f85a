/**
 * Feeds the demo's history into a started hub the way live data enters it: every message goes
 * through the hub's ingest (decoded against the contract, de-duplicated, stored, applied to
 * the live state), with the hub's clock standing at the moment the agent published it — so
 * the alert rules raise and resolve alarms then, and acknowledgements go through the alarms
 * service as a supervisor's would, stamped then. `seq` values come from the agents' own seq
 * files, so the live agents that start afterwards continue above them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Hub } from '@mieruka/broker';
import { SeqCounter } from '@mieruka/edge';
import { encodePayload, topicFor } from '@mieruka/protocol';
import type { History, HistoryItem } from './history.js';
import type { ReplayClock } from './replay-clock.js';

export type BackfillOptions = {
  hub: Hub;
  /** The hub's clock (standing at or before the history's start). */
  clock: ReplayClock;
  history: History;
  site: string;
  /** Where the agents keep their seq files (MqttNodeLink's dataDir). */
  seqDir: string;
};

export type BackfillResult = { days: number; messages: number; images: number; acknowledged: number };

export async function backfillHistory(options: BackfillOptions): Promise<BackfillResult> {
  const { hub, clock, history, site } = options;
  const seqs = new Map<string, SeqCounter>();
  const seqOf = (node: string) => {
    let counter = seqs.get(node);
    if (!counter) {
      counter = new SeqCounter({ file: join(options.seqDir, `seq-${site}-${node}.json`) });
      seqs.set(node, counter);
    }
    return counter.next();
  };
  const photos = new Map<string, Buffer>();
  for (const item of history.items) if (item.kind === 'clutter' && item.photo !== null && !photos.has(item.photo)) photos.set(item.photo, await readFile(item.photo));

  const result: BackfillResult = { days: history.days, messages: 0, images: 0, acknowledged: 0 };
  const publish = (item: Exclude<HistoryItem, { kind: 'ack' }>) => {
    const topic = (kind: Parameters<typeof topicFor>[2]) => topicFor(site, item.node, kind);
    switch (item.kind) {
      case 'status':
        hub.ingestLocal(topic('status'), encodePayload('status', item.payload));
        break;
      case 'state':
        hub.ingestLocal(topic('state'), encodePayload('state', item.payload));
        break;
      case 'event':
        hub.ingestLocal(topic('event'), encodePayload('event', { ...item.payload, seq: seqOf(item.node) }));
        break;
      case 'clutter': {
        hub.ingestLocal(topic('clutter'), encodePayload('clutter', { ...item.payload, seq: seqOf(item.node) }));
        const jpeg = item.photo === null ? undefined : photos.get(item.photo);
        if (jpeg) {
          // The station sends the photo right after its score; the hub files it under that shot.
          hub.ingestLocal(topic('image'), jpeg);
          result.images += 1;
        }
        break;
      }
    }
    result.messages += 1;
  };

  try {
    for (const item of history.items) {
      clock.set(item.at);
      // What the alert timer does every second live (due clears, durations), once per message:
      // clears keep the time their condition ended, so nothing between messages is lost.
      hub.alerts.tick();
      if (item.kind === 'ack') {
        // As a supervisor on the alarms page: the node's open alarms, each acknowledged.
        for (const alarm of await hub.dataSource.listAlarms({ state: 'active', site, node: item.node, limit: 100 })) {
          if (alarm.acknowledged) continue;
          const outcome = await hub.dataSource.acknowledgeAlarm(alarm.id, item.by);
          if (outcome.outcome === 'acknowledged') result.acknowledged += 1;
        }
      } else {
        publish(item);
      }
    }
    clock.set(history.to);
    hub.alerts.tick();
  } finally {
    for (const counter of seqs.values()) counter.close();
  }
  await hub.flush();
  // The hub brings its roll-ups up to date on a timer; once now, so the first page is quick.
  hub.reports.updateRollups();
  return result;
}
