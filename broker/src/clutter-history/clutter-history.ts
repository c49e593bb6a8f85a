/**
 * Clutter history over the store: stations with their latest score, scores over a range, and
 * whether each score's image is still on disk (retention may have pruned it; the row keeps
 * its image id). Configured stations are listed even before their first score. Reads through
 * SqlStore, so the same code serves SQLite and PostgreSQL (clutter-history.test.ts runs on both).
 */
import { readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BenchScore, BenchSummary, NodeSnapshot, TimeRange } from '@mieruka/protocol';
import type { StationConfig } from '@mieruka/protocol';
import type { ImageStore } from '../ingest/image-store.js';
import type { SqlStore } from '../store/sql/sql-store.js';

export type ClutterHistoryOptions = {
  sql: () => SqlStore;
  images: ImageStore;
  site: string;
  stations?: Readonly<Record<string, Pick<StationConfig, 'name'>>>;
};

type Row = { ts: number; seq: number; score: number; coveredRatio: number; slot: string; imageId: string | null };

const COLUMNS = 'ts, seq, score, covered_ratio AS "coveredRatio", slot, image_id AS "imageId"';

export class ClutterHistory {
  private options: ClutterHistoryOptions;

  constructor(options: ClutterHistoryOptions) {
    this.options = options;
  }
  /** New station names (runtime settings). */
  reconfigure(stations: ClutterHistoryOptions['stations']): void {
    this.options = { ...this.options, ...(stations ? { stations } : {}) };
  }


  private get sql(): SqlStore {
    return this.options.sql();
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
      coveredRatio: row.coveredRatio,
      slot: row.slot,
      imageId: row.imageId,
      imageAvailable: row.imageId !== null && onDisk.has(`${row.imageId}.jpg`),
    };
  }

  async listBenches(nodes: readonly NodeSnapshot[]): Promise<BenchSummary[]> {
    const pairs = await this.sql.all<{ site: string; node: string }>('SELECT site, node FROM clutter GROUP BY site, node');
    const seen = new Set(pairs.map((p) => `${p.site}/${p.node}`));
    for (const node of Object.keys(this.options.stations ?? {})) {
      if (!seen.has(`${this.options.site}/${node}`)) pairs.push({ site: this.options.site, node });
    }
    const out: BenchSummary[] = [];
    for (const { site, node } of pairs) {
      const row = await this.sql.get<Row>(`SELECT ${COLUMNS} FROM clutter WHERE site = ? AND node = ? ORDER BY ts DESC, id DESC LIMIT 1`, [site, node]);
      const online = nodes.find((n) => n.site === site && n.node === node)?.online ?? null;
      out.push({ site, node, name: this.nameOf(site, node), online, latest: row ? this.toScore(row, await this.imagesOnDisk(site, node)) : null });
    }
    return out.sort((a, b) => (a.site === b.site ? (a.node < b.node ? -1 : 1) : a.site < b.site ? -1 : 1));
  }

  /** Scores in [from, to), oldest first; null when the station has no score at all and is not configured. */
  async scores(site: string, node: string, range: TimeRange, limit: number): Promise<BenchScore[] | null> {
    const rows = await this.sql.all<Row>(`SELECT ${COLUMNS} FROM clutter WHERE site = ? AND node = ? AND ts >= ? AND ts < ? ORDER BY ts, id LIMIT ?`, [
      site,
      node,
      range.from,
      range.to,
      Math.max(0, Math.floor(limit)),
    ]);
    if (rows.length === 0 && !this.isConfigured(site, node)) {
      const any = await this.sql.get('SELECT 1 AS one FROM clutter WHERE site = ? AND node = ? LIMIT 1', [site, node]);
      if (!any) return null;
    }
    const onDisk = await this.imagesOnDisk(site, node);
    return rows.map((row) => this.toScore(row, onDisk));
  }
}
