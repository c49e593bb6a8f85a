/** What the hub knows about one node (machine or station) now. */
import type { MachineState, StatusBacklog } from '../payloads.js';

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
  /**
   * The agent's store-and-forward queue from its latest `status` (docs/store-and-forward.md),
   * with `at`, the hub's clock when that status arrived. `queued > 0`: the node is catching up —
   * what the hub shows of it is history still filling in. Absent or null: the agent does not say.
   */
  backlog?: (StatusBacklog & { at: number }) | null;
};
