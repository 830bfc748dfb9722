import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { type RankingSnapshots, rankingSnapshotTtlSeconds } from '../document-store.js';
import { execOrThrow } from './pipeline.js';
import { RedisScript } from './scripts.js';

/**
 * Appends to a snapshot only while it holds the length the caller read, in one step: two requests extending
 * it at once (a client's retry) cannot both append. KEYS[1] the list; ARGV[1] the length; ARGV[2..] the ids.
 */
const extendScript = new RedisScript(
  'gramSnapshotExtend',
  `
if redis.call('LLEN', KEYS[1]) ~= tonumber(ARGV[1]) or redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[1], unpack(ARGV, 2))
return 1`,
  1,
);

/**
 * Frozen rankings as Redis lists `<prefix>snapshot:<id>` with a time to live: any query process reads what any
 * other froze (a client's pages may reach different instances), and a page is one LRANGE of its slice.
 */
export class RedisRankingSnapshots implements RankingSnapshots {
  constructor(
    private readonly redis: Redis,
    readonly prefix: string,
  ) {
    extendScript.defineOn(redis);
  }

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

  async extend(snapshotId: string, length: number, ids: readonly string[]): Promise<boolean> {
    if (ids.length === 0) return true;
    const pipeline = this.redis.pipeline();
    extendScript.queue(pipeline, this.key(snapshotId), length, ...ids);
    const [[error, appended] = []] = (await pipeline.exec()) ?? [];
    if (error) throw error;
    return appended === 1;
  }
}
