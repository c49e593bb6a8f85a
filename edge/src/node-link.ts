/**
 * How an edge agent talks to the hub, as one MQTT node: validated publishes with a per-node
 * sequence number, a retained `status` that doubles as the LWT, and incoming commands.
 * Implemented by MqttNodeLink (edge/src/mqtt/mqtt-node-link.ts).
 */
import type { CommandPayload, JsonKind, PayloadOf } from '@mieruka/protocol';

export interface NodeLink {
  readonly site: string;
  readonly node: string;
  /** Next value of the node's monotonic seq; persisted so it survives restarts. */
  nextSeq(): number;
  /**
   * Validates, then queues on disk and resolves (MqttNodeLink's outbox; the queue publishes at
   * QoS 1, in order, when the broker is reachable); `status` goes straight out. Retained for
   * `status` and `state`.
   */
  publish<K extends JsonKind>(kind: K, payload: PayloadOf<K>): Promise<void>;
  publishImage(jpeg: Buffer): Promise<void>;
  /** Subscribes to `cmd/+` for this node; returns the unsubscribe function. */
  onCommand(handler: (action: string, payload: CommandPayload) => void): () => void;
}
