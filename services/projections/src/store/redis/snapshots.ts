import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { type RankingSnapshots, rankingSnapshotTtlSeconds } from '../document-store.js';
import { execOrThrow } from './pipeline.js';

/**
 * Frozen rankings as Redis lists `<prefix>snapshot:<id>` with a time to live: any query process reads what any
 * other froze (a client's pages may reach different instances), and a page is one LRANGE of its slice.
 */
export class RedisRankingSnapshots implements RankingSnapshots {
  constructor(
    private readonly redis: Redis,
    readonly prefix: string,
  ) {}

  private key(snapshotId: string): string {
    return `${this.prefix}snapshot:${snapshotId}`;
  }

  async save(ids: readonly string[]): Promise<string> {
    const id = randomUUID();
    // One transaction: the list never exists without its expiry.
    await execOrThrow(
      this.redis
        .multi()
        .rpush(this.key(id), ...ids)
        .expire(this.key(id), rankingSnapshotTtlSeconds),
    );
    return id;
  }

  async slice(snapshotId: string, offset: number, limit: number): Promise<string[] | undefined> {
    const key = this.key(snapshotId);
    const replies =
      (await this.redis
        .pipeline()
        .exists(key)
        .lrange(key, offset, offset + limit - 1)
        .exec()) ?? [];
    for (const [error] of replies) if (error) throw error;
    const [[, exists], [, ids]] = replies as [[null, number], [null, string[]]];
    return exists === 1 ? ids : undefined;
  }
}
