/**
 * Which nodes may join: new nodes join by themselves up to `maxNodesPerSite` per site and
 * `maxSites` sites (a flood of made-up ids must not grow the store, the live state and the
 * dashboard without bound). Past a cap a new node is refused and recorded as asking to join.
 * Known nodes (in the live state, loaded from the store at start) are always admitted.
 */
import type { LiveState } from './live-state.js';

export type AdmissionRefusal = 'too-many-nodes' | 'too-many-sites';

export type NodeAdmissionOptions = { live: LiveState; maxNodesPerSite: number; maxSites: number };

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
    if (!nodes && sites.size >= this.options.maxSites) return 'too-many-sites';
    if (nodes && nodes.size >= this.options.maxNodesPerSite) return 'too-many-nodes';
    if (nodes) nodes.add(node);
    else sites.set(site, new Set([node]));
    return null;
  }

  private known(): Map<string, Set<string>> {
    if (!this.sites) {
      this.sites = new Map();
      for (const { site, node } of this.options.live.list()) {
        const nodes = this.sites.get(site) ?? new Set<string>();
        nodes.add(node);
        this.sites.set(site, nodes);
      }
    }
    return this.sites;
  }
}
