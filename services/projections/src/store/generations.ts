import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import { counters, lists } from '../read-models/registry.js';
import { defaultFeedCap } from './document-store.js';
import { type MongoRedisReadModelStore, mongoRedisReadModelStore } from './mongo-redis.js';

const POINTER = 'readModels';

/**
 * Which generation of the distributed read models is live: one pointer document, moved by the rebuild in a single
 * write, so every reader switches at once. Query processes poll it; between polls they keep answering from the
 * generation they know, which stays complete until the rebuild drops it after a grace period.
 */
export class Generations {
  constructor(
    private readonly db: Db,
    private readonly redis: Redis,
    private readonly feedCap = defaultFeedCap,
  ) {}

  store(generation: number): MongoRedisReadModelStore {
    return mongoRedisReadModelStore({
      db: this.db,
      redis: this.redis,
      generation,
      counters,
      lists,
      feedCap: this.feedCap,
    });
  }

  /** the live generation; 1 when nothing was ever built (the live worker then builds generation 1 incrementally) */
  async active(): Promise<number> {
    const pointer = await this.db.collection(POINTER).findOne({ _id: 'active' as never });
    return typeof pointer?.generation === 'number' ? pointer.generation : 1;
  }

  async switchTo(generation: number): Promise<void> {
    await this.db
      .collection(POINTER)
      .updateOne(
        { _id: 'active' as never },
        { $set: { generation, switchedAt: new Date() } },
        { upsert: true },
      );
  }

  /**
   * ReadModels that follow the pointer, re-read every `pollMs`.
   *
   * Queries answer from `current()`, the generation last read: the generation it names stays complete until a
   * rebuild drops it after its grace period. When the last read is older than `maxStaleMs` (MongoDB was out of
   * reach for a while, and a rebuild may have switched and dropped meanwhile), `refresh()` before a query reads
   * the pointer again, waiting at most `refreshWaitMs` (250 ms) before answering from the known generation
   * anyway.
   *
   * Writers go through `forWrite()`, which is fenced: it hands out a generation only while the pointer was read
   * within `maxStaleMs` (default twice the poll interval), and otherwise reads the pointer first. When that read
   * fails, so does `forWrite()`, with MongoDB's own error, which the workers treat as transient: the partition
   * waits rather than applying a message to a generation that a rebuild may have switched away from and
   * dropped. A rebuild's grace period (5 s) exceeds this bound, so every write a worker makes to the old
   * generation starts before the rebuild's last catch-up.
   */
  async follow(
    pollMs = 1_000,
    options: { maxStaleMs?: number; refreshWaitMs?: number } = {},
  ): Promise<FollowedGeneration> {
    const maxStaleMs = options.maxStaleMs ?? 2 * pollMs;
    const refreshWaitMs = options.refreshWaitMs ?? 250;
    let current = this.store(await this.active());
    let confirmedAt = Date.now();
    let reading: Promise<MongoRedisReadModelStore> | undefined;
    await current.documents.ensureIndexes();
    const read = () => {
      const started = Date.now();
      reading ??= this.active()
        .then((generation) => {
          if (generation !== current.generation) current = this.store(generation);
          confirmedAt = Math.max(confirmedAt, started);
          return current;
        })
        .finally(() => {
          reading = undefined;
        });
      return reading;
    };
    const timer = setInterval(() => {
      read().catch(() => {
        // Queries keep answering from the known generation while MongoDB is unreachable; the next poll retries.
      });
    }, pollMs);
    timer.unref();
    return {
      current: () => current,
      forWrite: async () => (Date.now() - confirmedAt <= maxStaleMs ? current : read()),
      refresh: async () => {
        if (Date.now() - confirmedAt <= maxStaleMs) return;
        let waited: NodeJS.Timeout | undefined;
        await Promise.race([
          read().then(
            () => {},
            () => {},
          ),
          new Promise<void>((resolve) => {
            waited = setTimeout(resolve, refreshWaitMs);
          }),
        ]);
        clearTimeout(waited);
      },
      stop: () => clearInterval(timer),
    };
  }
}

export interface FollowedGeneration {
  /** the generation last read from the pointer, for queries */
  current(): MongoRedisReadModelStore;
  /** the live generation as read within the staleness bound, for writers; rejects when the pointer is unreadable */
  forWrite(): Promise<MongoRedisReadModelStore>;
  /** brings `current()` up to date when the last read is stale, waiting a bounded time; never rejects */
  refresh(): Promise<void>;
  stop(): void;
}
