/**
 * Clutter history over the store: stations with their latest score, scores over a range, and
 * whether each score's image is still on disk (retention may have pruned it; the row keeps
 * its image id). Configured stations are listed even before their first score.
 */
import { readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { BenchScore, BenchSummary, NodeSnapshot, TimeRange } from '@mieruka/protocol';
import type { StationConfig } from '@mieruka/protocol';
import type { ImageStore } from '../ingest/image-store.js';

export type ClutterHistoryOptions = {
  database: () => Database;
  images: ImageStore;
  site: string;
  stations?: Readonly<Record<string, Pick<StationConfig, 'name'>>>;
};

type Row = { ts: number; seq: number; score: number; covered_ratio: number; slot: string; image_id: string | null };

const COLUMNS = 'ts, seq, score, covered_ratio, slot, image_id';

export class ClutterHistory {
  private options: ClutterHistoryOptions;

  constructor(options: ClutterHistoryOptions) {
    this.options = options;
  }
  /** New station names (runtime settings). */
  reconfigure(stations: ClutterHistoryOptions['stations']): void {
    this.options = { ...this.options, ...(stations ? { stations } : {}) };
  }


  private get db(): Database {
    return this.options.database();
  }

  private nameOf(site: string, node: string): string | null {
    return site === this.options.site ? (this.options.stations?.[node]?.name ?? null) : null;
  }

  private isConfigured(site: string, node: string): boolean {
    return site === this.options.site && Object.hasOwn(this.options.stations ?? {}, node);
  }

  /** Image files on disk for one node (one directory read instead of a stat per row). */
  private async imagesOnDisk(site: string, node: string): Promise<Set<string>> {
    const probe = this.options.images.pathFor(site, node, 'probe');
    if (!probe) return new Set();
    try {
      return new Set((await readdir(dirname(probe))).filter((n) => n.endsWith('.jpg')));
    } catch {
      return new Set();
    }
  }

  private toScore(row: Row, onDisk: Set<string>): BenchScore {
    return {
      ts: row.ts,
      seq: row.seq,
      score: row.score,
      coveredRatio: row.covered_ratio,
      slot: row.slot,
      imageId: row.image_id,
      imageAvailable: row.image_id !== null && onDisk.has(`${row.image_id}.jpg`),
    };
  }

  async listBenches(nodes: readonly NodeSnapshot[]): Promise<BenchSummary[]> {
    const pairs = this.db.prepare('SELECT site, node FROM clutter GROUP BY site, node').all() as { site: string; node: string }[];
    const seen = new Set(pairs.map((p) => `${p.site}/${p.node}`));
    for (const node of Object.keys(this.options.stations ?? {})) {
      if (!seen.has(`${this.options.site}/${node}`)) pairs.push({ site: this.options.site, node });
    }
    const latest = this.db.prepare(`SELECT ${COLUMNS} FROM clutter WHERE site = ? AND node = ? ORDER BY ts DESC, id DESC LIMIT 1`);
    const out: BenchSummary[] = [];
    for (const { site, node } of pairs) {
      const row = latest.get(site, node) as Row | undefined;
      const online = nodes.find((n) => n.site === site && n.node === node)?.online ?? null;
      out.push({ site, node, name: this.nameOf(site, node), online, latest: row ? this.toScore(row, await this.imagesOnDisk(site, node)) : null });
    }
    return out.sort((a, b) => (a.site === b.site ? (a.node < b.node ? -1 : 1) : a.site < b.site ? -1 : 1));
  }

  /** Scores in [from, to), oldest first; null when the station has no score at all and is not configured. */
  async scores(site: string, node: string, range: TimeRange, limit: number): Promise<BenchScore[] | null> {
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM clutter WHERE site = ? AND node = ? AND ts >= ? AND ts < ? ORDER BY ts, id LIMIT ?`)
      .all(site, node, range.from, range.to, Math.max(0, Math.floor(limit))) as Row[];
    if (rows.length === 0 && !this.isConfigured(site, node)) {
      const any = this.db.prepare('SELECT 1 FROM clutter WHERE site = ? AND node = ? LIMIT 1').get(site, node);
      if (!any) return null;
    }
    const onDisk = await this.imagesOnDisk(site, node);
    return rows.map((row) => this.toScore(row, onDisk));
  }
}
