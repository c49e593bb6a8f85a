/**
 * What the dashboard needs from the hub. The dashboard never imports the broker: the hub
 * implements this interface over its store and live message stream (broker/src/hub-data-source.ts).
 */
import type { MachineState } from '@mieruka/protocol';

export type NodeSnapshot = {
  site: string;
  node: string;
  /** From the retained `status` (null: never heard of). */
  online: boolean | null;
  agent: string | null;
  version: string | null;
  /** Last message of any kind, epoch ms. */
  lastSeen: number | null;
  state: { state: MachineState; since: number; ts: number } | null;
  current: { irms: number[]; ts: number; seq: number } | null;
  clutter: { score: number; coveredRatio: number; slot: string; ts: number; imageId: string | null } | null;
  motion: { active: boolean; ts: number } | null;
};

export type LiveUpdate =
  | { type: 'node'; node: NodeSnapshot }
  | { type: 'event'; site: string; node: string; event: { ts: number; seq: number; type: string; [k: string]: unknown } };

export type HubStats = {
  startedAt: number;
  messagesReceived: number;
  messagesInvalid: number;
  rowsWritten: number;
  clientsConnected: number;
};

export type AuthenticatedUser = { username: string; role: 'admin' | 'viewer' };

export interface DashboardDataSource {
  listNodes(): NodeSnapshot[];
  /** Latest annotated JPEG of a clutter result, or null. */
  readImage(site: string, node: string, imageId: string): Promise<Buffer | null>;
  stats(): HubStats;
  /** Calls `listener` for every live change; returns the unsubscribe function. */
  subscribe(listener: (update: LiveUpdate) => void): () => void;
}

export interface UserVerifier {
  /** Resolves the user when the password matches, null otherwise. Never throws for bad input. */
  verify(username: string, password: string): Promise<AuthenticatedUser | null>;
}
