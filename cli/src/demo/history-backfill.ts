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

export type BackfillResult = { days: number; messages: number; images: number; acknowledged: number; qualityEntries: number; reasons: number };

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

  const result: BackfillResult = { days: history.days, messages: 0, images: 0, acknowledged: 0, qualityEntries: 0, reasons: 0 };
  const publish = async (item: Extract<HistoryItem, { kind: 'status' | 'state' | 'event' | 'clutter' | 'current' }>) => {
    const topic = (kind: Parameters<typeof topicFor>[2]) => topicFor(site, item.node, kind);
    switch (item.kind) {
      case 'status':
        await hub.ingestLocal(topic('status'), encodePayload('status', item.payload));
        break;
      case 'state':
        await hub.ingestLocal(topic('state'), encodePayload('state', item.payload));
        break;
      case 'current':
        await hub.ingestLocal(topic('current'), encodePayload('current', { ...item.payload, seq: seqOf(item.node) }));
        break;
      case 'event':
        await hub.ingestLocal(topic('event'), encodePayload('event', { ...item.payload, seq: seqOf(item.node) }));
        break;
      case 'clutter': {
        await hub.ingestLocal(topic('clutter'), encodePayload('clutter', { ...item.payload, seq: seqOf(item.node) }));
        const jpeg = item.photo === null ? undefined : photos.get(item.photo);
        if (jpeg) {
          // The station sends the photo right after its score; the hub files it under that shot.
          await hub.ingestLocal(topic('image'), jpeg);
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
      // Readings and cycles (most of the messages) change no rule's state between two
      // others, so they skip it: the backfill stays quick.
      if (!isFrequent(item)) await hub.alerts.tick();
      if (item.kind === 'ack') {
        // As a supervisor on the alarms page: the node's open alarms, each acknowledged.
        for (const alarm of await hub.dataSource.listAlarms({ state: 'active', site, node: item.node, limit: 100 })) {
          if (alarm.acknowledged) continue;
          const outcome = await hub.dataSource.acknowledgeAlarm(alarm.id, item.by);
          if (outcome.outcome === 'acknowledged') result.acknowledged += 1;
        }
      } else if (item.kind === 'quality') {
        await hub.flush(); // the day's rows written: the entry is checked against them
        // As a foreman on the machine page after the shift: the day's good and scrap pieces.
        const outcome = await hub.dataSource.addQualityEntry({ site, node: item.node, ...item.entry, source: 'dashboard', note: null }, item.by);
        // A refusal (the hub's rules) loses only this entry; the count tells the tests.
        if (outcome.ok) result.qualityEntries += 1;
      } else if (item.kind === 'reason') {
        // As a supervisor classifying a past stop: the hub's own stop that covers the moment.
        await hub.flush();
        const stops = await hub.dataSource.machineStops(site, item.node, { from: item.within, to: item.within + 1 });
        const stop = stops?.stops.find((s) => s.start <= item.within && (s.end ?? Infinity) > item.within && !s.microstop);
        if (stop) {
          const outcome = await hub.dataSource.setStopReason({ site, node: item.node, start: stop.start, code: item.code }, item.by);
          if (outcome.ok) result.reasons += 1;
        }
      } else {
        // Each message takes effect before the clock moves on (the rules see it at its own time).
        await publish(item);
      }
    }
    clock.set(history.to);
    await hub.alerts.tick();
  } finally {
    for (const counter of seqs.values()) counter.close();
  }
  await hub.flush();
  // The hub brings its roll-ups up to date on a timer; once now, so the first page is quick.
  await hub.reports.updateRollups();
  return result;
}

function isFrequent(item: HistoryItem): boolean {
  return item.kind === 'current' || (item.kind === 'event' && item.payload.type === 'cycle');
}
