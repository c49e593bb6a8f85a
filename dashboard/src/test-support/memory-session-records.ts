/**
 * SessionRecords in memory, for the dashboard's own tests (the hub keeps them in SQLite).
 * A Map keeps insertion order, which is creation order: the first key is the oldest.
 */
import type { SessionRecord, SessionRecords } from '../data-source.js';

export class MemorySessionRecords implements SessionRecords {
  private readonly records = new Map<string, SessionRecord>();

  async add(record: SessionRecord, maxSessions: number): Promise<void> {
    for (const idHash of this.records.keys()) {
      if (this.records.size < maxSessions) break;
      this.records.delete(idHash);
    }
    this.records.set(record.idHash, { ...record, user: { ...record.user, sites: record.user.sites && [...record.user.sites] } });
  }

  async get(idHash: string): Promise<SessionRecord | null> {
    const record = this.records.get(idHash);
    return record ? { ...record, user: { ...record.user, sites: record.user.sites && [...record.user.sites] } } : null;
  }

  async delete(idHash: string): Promise<boolean> {
    return this.records.delete(idHash);
  }

  async deleteExpired(now: number): Promise<number> {
    let deleted = 0;
    for (const [idHash, record] of this.records) {
      if (record.expiresAt <= now && this.records.delete(idHash)) deleted += 1;
    }
    return deleted;
  }

  async count(): Promise<number> {
    return this.records.size;
  }
}
