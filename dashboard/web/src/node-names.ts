/**
 * Display names of machines and stations from the config (GET /api/machines, /api/benches):
 * the live snapshot carries ids only. Loaded once per session and refreshed at most every
 * few minutes; without names the UI shows ids.
 */
import { signal } from '@preact/signals';
import { apiGet } from './api.js';
import { nodeKey } from './store.js';

const REFRESH_MS = 5 * 60_000;

export const nodeNames = signal<ReadonlyMap<string, string>>(new Map());
let loadedAt = 0;
let pending: Promise<void> | null = null;

type Named = { site: string; node: string; name: string | null };

export function loadNodeNames(): Promise<void> {
  if (pending) return pending;
  if (Date.now() - loadedAt < REFRESH_MS) return Promise.resolve();
  pending = Promise.all([
    apiGet<{ machines: Named[] }>('/api/machines').then((b) => b.machines).catch(() => [] as Named[]),
    apiGet<{ benches: Named[] }>('/api/benches').then((b) => b.benches).catch(() => [] as Named[]),
  ])
    .then(([machines, benches]) => {
      const next = new Map<string, string>();
      for (const n of [...machines, ...benches]) if (n.name) next.set(nodeKey(n.site, n.node), n.name);
      nodeNames.value = next;
      loadedAt = Date.now();
    })
    .finally(() => {
      pending = null;
    });
  return pending;
}

/** The configured name, or the id. */
export function nodeLabel(site: string, node: string): string {
  return nodeNames.value.get(nodeKey(site, node)) ?? node;
}
