/**
 * Fleet mode: the live view of nodes whose agents are connected to the other hubs. Each hub
 * ingests (stores, runs rules and webhooks on) only what its own clients publish; this mirror
 * follows every other hub's `mieruka/v1/#` traffic through the shared emitter and applies it
 * to a LiveState of its own — no store row, no rule, no webhook (those watch the hub's own
 * LiveState, never this one) — so this hub's dashboard shows the whole fleet live. Invalid
 * messages are dropped here without a count: the hub that ingested them counted them.
 */
import type { AedesPublishPacket } from 'aedes';
import { decodeMessage, TOPIC_ROOT, type DecodedMessage } from '@mieruka/protocol';
import type { MqttBroker } from '../mqtt/mqtt-broker.js';
import type { LiveState } from './live-state.js';
import { clutterChange, currentChange, heard, motionChange, stateChange, statusChange } from './snapshot-changes.js';

export type PeerLiveMirrorOptions = {
  broker: MqttBroker;
  /** Other hubs' nodes, live (the dashboard merges it under the hub's own LiveState). */
  live: LiveState;
  now: () => number;
};

export class PeerLiveMirror {
  private readonly options: PeerLiveMirrorOptions;
  private unsubscribe: (() => void) | null = null;
  private applied = 0;

  constructor(options: PeerLiveMirrorOptions) {
    this.options = options;
  }

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.options.broker.onPeerPublish(`${TOPIC_ROOT}/#`, (packet) => this.onPeer(packet));
  }

  /** Messages from other hubs applied so far. */
  get count(): number {
    return this.applied;
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private onPeer(packet: AedesPublishPacket): void {
    const raw: unknown = packet.payload;
    const payload = Buffer.isBuffer(raw) ? raw : raw instanceof Uint8Array ? Buffer.from(raw) : typeof raw === 'string' ? Buffer.from(raw) : Buffer.alloc(0);
    if (payload.length === 0) return; // a retained copy being cleared
    const result = decodeMessage(packet.topic, payload);
    if (!result.ok) return;
    this.apply(result.message, this.options.now());
    this.applied++;
  }

  private apply(msg: DecodedMessage, now: number): void {
    const { site, node } = msg;
    const live = this.options.live;
    switch (msg.kind) {
      case 'status':
        live.update(site, node, statusChange(msg.payload, now));
        break;
      case 'current':
        live.update(site, node, currentChange(msg.payload, now));
        break;
      case 'state':
        live.update(site, node, stateChange(msg.payload, now));
        break;
      case 'clutter':
        // The photo is saved on the hub that ingested it: no link to it from here.
        live.update(site, node, clutterChange(msg.payload, now, null));
        break;
      case 'motion':
        live.update(site, node, motionChange(msg.payload, now));
        break;
      case 'event': {
        const { ts, seq, type, ...data } = msg.payload;
        live.update(site, node, heard(now));
        live.emit({ type: 'event', site, node, event: { ...data, ts, seq, type } });
        break;
      }
      default:
        live.update(site, node, heard(now));
    }
  }
}
