import type { Redis } from 'ioredis';
import type { Collection, Db, Document } from 'mongodb';
import {
  type CollectionName,
  type Counter,
  type Doc,
  type DocumentStore,
  defaultFeedCap,
  type Filter,
  type LikedPosts,
  type ReadModelStore,
} from './document-store.js';
import { MongoCheckpoint } from './mongo/checkpoint.js';
import { MongoDocumentStore } from './mongo/documents.js';
import { RedisCounts } from './redis/counts.js';
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
 *
 * Counts live in Redis alone (RedisCounts): a counted document's write is its MongoDB write, then one script in
 * the same pipeline as its hot copy, and every document read from MongoDB gets its counts from Redis. MongoDB
 * first: a deletion's flagging reads from MongoDB which documents to flag (see RedisCounts), and a crash between
 * the two writes leaves MongoDB applied and the count not moved yet, which the redelivery's script then moves.
 *
 * The revision Redis holds of a document (its counted state, or its hot copy) guards MongoDB's write too: MongoDB
 * is written first, so MongoDB is never behind Redis, and at most one event ahead of it (the one a crash
 * interrupted, which its redelivery writes again, the same). An event at or below Redis's revision is then
 * applied in both, and skips MongoDB altogether; one above it is MongoDB's next write (applyNewerRevision).
 */
export class MongoRedisDocumentStore implements DocumentStore {
  readonly copies: DocumentStore['copies'];

  constructor(
    readonly mongo: MongoDocumentStore,
    readonly hot: RedisHotCopies,
    readonly counts: RedisCounts,
    private readonly redis: Redis,
  ) {
    // The one copy holding counts: the hot copies alone for hot documents, MongoDB with Redis's counts otherwise.
    const redisCopy = async (collection: CollectionName, ids: readonly string[]) =>
      isHot(collection)
        ? (await hot.getMany(collection, ids)).filter((doc) => doc !== undefined)
        : counts.overlay(collection, await mongo.getMany(collection, ids));
    this.copies = { redis: { getMany: redisCopy } };
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
    const doc = await this.mongo.get(collection, id, fields);
    return doc && (await this.counts.overlay(collection, [doc]))[0];
  }

  async getMany(collection: CollectionName, ids: readonly string[]): Promise<Doc[]> {
    if (!isHot(collection)) return this.counts.overlay(collection, await this.mongo.getMany(collection, ids));
    const copies = await this.hot.getMany(collection, ids);
    const found = copies.filter((doc) => doc !== undefined);
    const missing = ids.filter((_, i) => copies[i] === undefined);
    if (missing.length === 0) return found;
    return [
      ...found,
      ...(await this.counts.overlay(collection, await this.mongo.getMany(collection, missing))),
    ];
  }

  // Reads by filter go to MongoDB: Redis keeps the hot documents by id only. Documents get their counts here.
  async findOne(collection: CollectionName, filter: Filter): Promise<Doc | undefined> {
    const doc = await this.mongo.findOne(collection, filter);
    return doc && (await this.counts.overlay(collection, [doc]))[0];
  }

  async findAll(collection: CollectionName, filter: Filter, fields?: readonly string[]): Promise<Doc[]> {
    const docs = await this.mongo.findAll(collection, filter, fields);
    return fields ? docs : this.counts.overlay(collection, docs);
  }

  readonly page: DocumentStore['page'] = async (collection, filter, sort, after, limit, fields) => {
    const docs = await this.mongo.page(collection, filter, sort, after, limit, fields);
    return fields ? docs : this.counts.overlay(collection, docs);
  };

  readonly values: DocumentStore['values'] = (...read) => this.mongo.values(...read);
  readonly pageKeys: DocumentStore['pageKeys'] = (...read) => this.mongo.pageKeys(...read);
  readonly count: DocumentStore['count'] = (...read) => this.mongo.count(...read);

  async applyRevision(
    collection: CollectionName,
    id: string,
    rev: number,
    fields: Record<string, unknown>,
  ): Promise<boolean> {
    // What Redis holds of the document's revision guards MongoDB's write (see the class comment).
    const known = this.counts.isCounted(collection)
      ? await this.counts.revision(collection, id)
      : isHot(collection)
        ? await this.hot.revision(collection, id)
        : undefined;
    const applied =
      known !== undefined && known >= rev
        ? false
        : await this.mongo.applyNewerRevision(collection, id, rev, fields);
    const { postId, userId, liked } = fields;
    const pipeline = this.redis.pipeline();
    if (isHot(collection)) this.hot.applyRevision(pipeline, collection, id, rev, fields);
    else if (collection === 'likes' && typeof postId === 'string' && typeof userId === 'string')
      this.hot.recordLike(pipeline, userId, postId, rev, liked === true);
    // Written even when MongoDB had it already: its own guard tells whether it is a redelivery (see the class).
    this.counts.write(pipeline, collection, id, fields, rev);
    if (pipeline.length > 0) await execOrThrow(pipeline);
    return applied;
  }

  async setFields(collection: CollectionName, id: string, fields: Record<string, unknown>): Promise<void> {
    // No handler sets a flag of a counted document by id (they flag by filter, see updateMany).
    if (this.counts.isCounted(collection))
      throw new Error(`setFields on counted ${collection}: use updateMany`);
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
    const counted = this.counts.isCounted(collection);
    if (!isHot(collection) && !counted) return this.mongo.updateMany(collection, filter, fields);
    // The matches first: the copies and counts are written by id. The matches read after the MongoDB write would
    // miss those it just changed; read before, they include every document written to MongoDB before it, which
    // is what a deletion's flagging relies on (see RedisCounts).
    const ids = (await this.mongo.values(collection, filter, 'id')) as string[];
    await this.mongo.updateMany(collection, filter, fields);
    if (ids.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const id of ids) {
      if (isHot(collection)) this.hot.setFields(pipeline, collection, id, fields);
      if (counted) this.counts.write(pipeline, collection, id, fields);
    }
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
  /** the read models' counts (registry.ts `counters`) */
  counters: readonly Counter[];
  feedCap?: number;
}): MongoRedisReadModelStore {
  const prefix = `g${options.generation}:`;
  const mongo = new MongoDocumentStore(options.db, `g${options.generation}_`);
  const hot = new RedisHotCopies(options.redis, prefix);
  const counts = new RedisCounts(options.redis, prefix, options.counters);
  const documents = new MongoRedisDocumentStore(mongo, hot, counts, options.redis);
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
