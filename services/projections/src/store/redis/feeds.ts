import type { Redis } from 'ioredis';
import type { FeedEntry, FeedStore, MergingFollower, Position } from '../document-store.js';
import { execOrThrow } from './pipeline.js';
import { sortedPage } from './sorted-page.js';
import { TurnPipeline } from './turn-pipeline.js';

/**
 * Home feeds as Redis sorted sets: member = post id, score = the post's creation time in ms. Redis orders equal
 * scores by member, so ZREVRANGE order is exactly (score, id) descending, the order of the memory adapter
 * (pages: sortedPage), and ZREMRANGEBYRANK 0..-(cap+1) drops the same entries the memory adapter drops.
 */
export class RedisFeedStore implements FeedStore {
  constructor(
    private readonly redis: Redis,
    readonly prefix: string,
    private readonly cap: number,
  ) {}

  private key(userId: string): string {
    return `${this.prefix}feed:${userId}`;
  }

  async add(userIds: readonly string[], entries: readonly FeedEntry[]): Promise<void> {
    if (userIds.length === 0 || entries.length === 0) return;
    const args = entries.flatMap((entry) => [entry.value, entry.id]);
    await TurnPipeline.of(this.redis).runOrThrow((pipeline) => {
      for (const userId of userIds) {
        pipeline.zadd(this.key(userId), ...args);
        pipeline.zremrangebyrank(this.key(userId), 0, -(this.cap + 1));
      }
    });
  }

  /** Adds each user's own entries, all in one pipeline (the rebuild's export). */
  async addEach(feeds: readonly (readonly [string, readonly FeedEntry[]])[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const [userId, entries] of feeds) {
      if (entries.length === 0) continue;
      const args: (string | number)[] = [];
      for (const entry of entries) args.push(entry.value, entry.id);
      pipeline.zadd(this.key(userId), ...args);
      pipeline.zremrangebyrank(this.key(userId), 0, -(this.cap + 1));
    }
    await execOrThrow(pipeline);
  }

  async remove(userIds: readonly string[], entries: readonly FeedEntry[]): Promise<void> {
    if (userIds.length === 0 || entries.length === 0) return;
    const postIds = entries.map((entry) => entry.id);
    await TurnPipeline.of(this.redis).runOrThrow((pipeline) => {
      for (const userId of userIds) pipeline.zrem(this.key(userId), ...postIds);
    });
  }

  size(userId: string): Promise<number> {
    return this.redis.zcard(this.key(userId));
  }

  private mergedKey(userId: string): string {
    return `${this.prefix}merged:${userId}`;
  }

  async drop(userId: string): Promise<void> {
    await this.redis.del(this.key(userId), this.mergedKey(userId));
  }

  async mergeAuthor(authorId: string, followers: readonly MergingFollower[]): Promise<void> {
    if (followers.length === 0) return;
    await TurnPipeline.of(this.redis).runOrThrow((pipeline) => {
      for (const { userId, at } of followers) pipeline.zadd(this.mergedKey(userId), at, authorId);
    });
  }

  async unmergeAuthor(authorId: string, userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    await TurnPipeline.of(this.redis).runOrThrow((pipeline) => {
      for (const userId of userIds) pipeline.zrem(this.mergedKey(userId), authorId);
    });
  }

  async mergedAuthors(userId: string, limit: number): Promise<string[]> {
    // ZREVRANGE orders equal scores by member descending, as the memory adapter does.
    return this.redis.zrevrange(this.mergedKey(userId), 0, limit - 1);
  }

  /** Writes each user's merged authors (user → author → follow time) in one pipeline (the rebuild's export). */
  async mergeEach(merged: readonly (readonly [string, Readonly<Record<string, number>>])[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const [userId, authors] of merged) {
      const args = Object.entries(authors).flatMap(([authorId, at]) => [at, authorId]);
      if (args.length > 0) pipeline.zadd(this.mergedKey(userId), ...args);
    }
    await execOrThrow(pipeline);
  }

  page(userId: string, after: Position | undefined, limit: number): Promise<FeedEntry[]> {
    return sortedPage(this.redis, this.key(userId), after, -1, limit);
  }

  /** Deletes every key of this generation (SCAN, never KEYS, so Redis keeps answering meanwhile). */
  async dropAll(): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await this.redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
}
