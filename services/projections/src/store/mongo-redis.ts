import type { Redis } from 'ioredis';
import type { Collection, Db, Document } from 'mongodb';
import {
  type CollectionName,
  type Doc,
  type DocumentStore,
  defaultFeedCap,
  type Filter,
  type LikedPosts,
  type ReadModelStore,
} from './document-store.js';
import { MongoCheckpoint } from './mongo/checkpoint.js';
import { MongoDocumentStore } from './mongo/documents.js';
import { RedisFeedStore } from './redis/feeds.js';
import { isHot, RedisHotCopies } from './redis/hot-copies.js';
import { execOrThrow } from './redis/pipeline.js';

/**
 * The documents of one generation: MongoDB holds every one, and Redis holds the hot ones again
 * (RedisHotCopies), written right after MongoDB by the same operation under the same revision guard, and read
 * by id from there. The copy of a write is made even when MongoDB says it was applied already, so a crash
 * between the two writes is repaired by the redelivery, as the projection's reconcile steps are.
 *
 * A hot document missing from Redis is read from MongoDB: a generation built before the copies existed keeps
 * answering (slower) until a rebuild writes them. likedByMe has no such fallback: such a generation answers
 * false until rebuilt.
 */
export class MongoRedisDocumentStore implements DocumentStore {
  readonly copies: DocumentStore['copies'];

  constructor(
    readonly mongo: MongoDocumentStore,
    readonly hot: RedisHotCopies,
    private readonly redis: Redis,
  ) {
    const onlyRedis = async (collection: CollectionName, ids: readonly string[]) =>
      isHot(collection)
        ? (await hot.getMany(collection, ids)).filter((doc) => doc !== undefined)
        : mongo.getMany(collection, ids);
    this.copies = { mongodb: mongo, redis: { getMany: onlyRedis } };
  }

  collection(name: CollectionName | 'checkpoints'): Collection<Document> {
    return this.mongo.collection(name);
  }

  ensureIndexes(names?: readonly CollectionName[]): Promise<void> {
    return this.mongo.ensureIndexes(names);
  }

  async get(collection: CollectionName, id: string, fields?: readonly string[]): Promise<Doc | undefined> {
    if (isHot(collection)) {
      const doc = await this.hot.get(collection, id, fields);
      if (doc) return doc;
    }
    return this.mongo.get(collection, id, fields);
  }

  async getMany(collection: CollectionName, ids: readonly string[]): Promise<Doc[]> {
    if (!isHot(collection)) return this.mongo.getMany(collection, ids);
    const copies = await this.hot.getMany(collection, ids);
    const found = copies.filter((doc) => doc !== undefined);
    const missing = ids.filter((_, i) => copies[i] === undefined);
    return missing.length === 0 ? found : [...found, ...(await this.mongo.getMany(collection, missing))];
  }

  // Reads by filter go to MongoDB alone: Redis keeps the hot documents by id only.
  readonly findOne: DocumentStore['findOne'] = (...read) => this.mongo.findOne(...read);
  readonly findAll: DocumentStore['findAll'] = (...read) => this.mongo.findAll(...read);
  readonly values: DocumentStore['values'] = (...read) => this.mongo.values(...read);
  readonly page: DocumentStore['page'] = (...read) => this.mongo.page(...read);
  readonly pageKeys: DocumentStore['pageKeys'] = (...read) => this.mongo.pageKeys(...read);
  readonly count: DocumentStore['count'] = (...read) => this.mongo.count(...read);

  async applyRevision(
    collection: CollectionName,
    id: string,
    rev: number,
    fields: Record<string, unknown>,
  ): Promise<boolean> {
    const applied = await this.mongo.applyRevision(collection, id, rev, fields);
    const { postId, userId, liked } = fields;
    if (isHot(collection)) {
      const pipeline = this.redis.pipeline();
      this.hot.applyRevision(pipeline, collection, id, rev, fields);
      await execOrThrow(pipeline);
    } else if (collection === 'likes' && typeof postId === 'string' && typeof userId === 'string') {
      const pipeline = this.redis.pipeline();
      this.hot.recordLike(pipeline, userId, postId, rev, liked === true);
      await execOrThrow(pipeline);
    }
    return applied;
  }

  async setFields(collection: CollectionName, id: string, fields: Record<string, unknown>): Promise<void> {
    await this.mongo.setFields(collection, id, fields);
    if (!isHot(collection)) return;
    const pipeline = this.redis.pipeline();
    this.hot.setFields(pipeline, collection, id, fields);
    await execOrThrow(pipeline);
  }

  async updateMany(
    collection: CollectionName,
    filter: Filter,
    fields: Record<string, unknown>,
  ): Promise<void> {
    if (!isHot(collection)) return this.mongo.updateMany(collection, filter, fields);
    // The matches first: the copies are written by id. One worker writes a generation's documents at a time,
    // so none can start matching in between.
    const ids = (await this.mongo.values(collection, filter, 'id')) as string[];
    await this.mongo.updateMany(collection, filter, fields);
    if (ids.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const id of ids) this.hot.setFields(pipeline, collection, id, fields);
    await execOrThrow(pipeline);
  }
}

/**
 * One generation of the distributed read models: MongoDB collections `g<n>_<name>` and Redis keys `g<n>:...`.
 * A rebuild writes generation n+1 beside the live one n, then moves the `readModels` pointer document; the
 * query API follows the pointer (see generations.ts).
 */
export interface MongoRedisReadModelStore extends ReadModelStore {
  readonly generation: number;
  readonly redis: Redis;
  readonly documents: MongoRedisDocumentStore;
  readonly feeds: RedisFeedStore;
  /** drops every collection and key of this generation */
  drop(): Promise<void>;
}

export function mongoRedisReadModelStore(options: {
  db: Db;
  redis: Redis;
  generation: number;
  feedCap?: number;
}): MongoRedisReadModelStore {
  const prefix = `g${options.generation}:`;
  const mongo = new MongoDocumentStore(options.db, `g${options.generation}_`);
  const hot = new RedisHotCopies(options.redis, prefix);
  const documents = new MongoRedisDocumentStore(mongo, hot, options.redis);
  const feeds = new RedisFeedStore(options.redis, prefix, options.feedCap ?? defaultFeedCap);
  const liked: LikedPosts = { among: (userId, postIds) => hot.likedAmong(userId, postIds) };
  return {
    generation: options.generation,
    redis: options.redis,
    documents,
    feeds,
    liked,
    checkpoint: new MongoCheckpoint(mongo.collection('checkpoints')),
    async drop() {
      await mongo.drop();
      await feeds.dropAll();
    },
  };
}
