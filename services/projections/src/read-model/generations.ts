import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import { type MongoRedisReadModelStore, mongoRedisReadModelStore } from './mongo-redis-store.js';

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
    private readonly feedCap = 800,
  ) {}

  store(generation: number): MongoRedisReadModelStore {
    return mongoRedisReadModelStore({ db: this.db, redis: this.redis, generation, feedCap: this.feedCap });
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

  /** ReadModels that follow the pointer, re-read every `pollMs`. */
  async follow(pollMs = 1_000): Promise<{ current(): MongoRedisReadModelStore; stop(): void }> {
    let current = this.store(await this.active());
    await current.documents.ensureIndexes();
    const timer = setInterval(() => {
      this.active()
        .then((generation) => {
          if (generation !== current.generation) current = this.store(generation);
        })
        .catch(() => {
          // Keep answering from the known generation while MongoDB is unreachable; the next poll retries.
        });
    }, pollMs);
    timer.unref();
    return { current: () => current, stop: () => clearInterval(timer) };
  }
}
