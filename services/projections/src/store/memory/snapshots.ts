import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { type RankingSnapshots, rankingSnapshotTtlSeconds } from '../document-store.js';

/**
 * Frozen rankings in the process (the embedded mode): forgotten after their time to live, and the least
 * recently read first past `max`, so that clients starting many pagings cannot grow the process without bound.
 */
export class MemoryRankingSnapshots implements RankingSnapshots {
  private readonly kept: LRUCache<string, string[]>;

  constructor(max = 1_000) {
    this.kept = new LRUCache({ max, ttl: rankingSnapshotTtlSeconds * 1_000 });
  }

  async save(ids: readonly string[]): Promise<string> {
    const id = randomUUID();
    this.kept.set(id, [...ids]);
    return id;
  }

  async slice(snapshotId: string, offset: number, limit: number): Promise<string[] | undefined> {
    return this.kept.get(snapshotId)?.slice(offset, offset + limit);
  }

  async extend(snapshotId: string, length: number, ids: readonly string[]): Promise<boolean> {
    const kept = this.kept.get(snapshotId);
    if (kept?.length !== length) return false;
    kept.push(...ids);
    return true;
  }
}
