/**
 * Which nodes may join: new nodes join by themselves up to `maxNodesPerSite` per site and
 * `maxSites` sites (a flood of made-up ids must not grow the store, the live state and the
 * dashboard without bound), and only while auto-join is on (an admin may switch it off on the
 * settings page). Otherwise a new node is refused and recorded as asking to join. Known nodes
 * (in the live state, loaded from the store at start) and nodes an admin admitted are always
 * admitted.
 */
import type { LiveState } from './live-state.js';

export type AdmissionRefusal = 'too-many-nodes' | 'too-many-sites' | 'not-admitted';

export type NodeAdmissionOptions = {
  live: LiveState;
  maxNodesPerSite: number;
  maxSites: number;
  /** Asked at every new node, so a switch from the settings page counts at once. Default: on. */
  autoJoin?: () => boolean;
  /** Nodes an admin admitted that may not have reported yet (read once, on first use). */
  admitted?: () => Iterable<{ site: string; node: string }>;
};

export class NodeAdmission {
  private readonly options: NodeAdmissionOptions;
  /** Known nodes per site; built from the live state on first use, then kept up to date here. */
  private sites: Map<string, Set<string>> | null = null;

  constructor(options: NodeAdmissionOptions) {
    this.options = options;
  }

  /** Null when the node is known or may join now (it then counts as known). */
  admit(site: string, node: string): AdmissionRefusal | null {
    const sites = this.known();
    const nodes = sites.get(site);
    if (nodes?.has(node)) return null;
    if (this.options.autoJoin && !this.options.autoJoin()) return 'not-admitted';
    if (!nodes && sites.size >= this.options.maxSites) return 'too-many-sites';
    if (nodes && nodes.size >= this.options.maxNodesPerSite) return 'too-many-nodes';
    this.allow(site, node);
    return null;
  }

  /** An admin admitted the node: it is known from now on, whatever the caps and auto-join say. */
  allow(site: string, node: string): void {
    const sites = this.known();
    const nodes = sites.get(site);
    if (nodes) nodes.add(node);
    else sites.set(site, new Set([node]));
  }

  private known(): Map<string, Set<string>> {
    if (!this.sites) {
      const sites = new Map<string, Set<string>>();
      this.sites = sites;
      const add = ({ site, node }: { site: string; node: string }) => {
        const nodes = sites.get(site) ?? new Set<string>();
        nodes.add(node);
        sites.set(site, nodes);
      };
      for (const n of this.options.live.list()) add(n);
      for (const n of this.options.admitted?.() ?? []) add(n);
    }
    return this.sites;
  }
}
