import type { Redis } from 'ioredis';
import type { Collection, Db, Document } from 'mongodb';
import { rankings as registeredRankings } from '../read-models/registry.js';
import {
  type CollectionName,
  type Counter,
  collections,
  type Doc,
  type DocumentStore,
  defaultFeedCap,
  type Filter,
  type LikedPosts,
  listFor,
  matchesFilter,
  type Position,
  type ReadModelStore,
  type Sort,
  type SortedList,
} from './document-store.js';
import { MongoCheckpoint } from './mongo/checkpoint.js';
import { MongoDocumentStore } from './mongo/documents.js';
import type { Ranking } from './rankings.js';
import { RedisFeedStore } from './redis/feeds.js';
import { isHot, RedisHotCopies } from './redis/hot-copies.js';
import { RedisIndexes } from './redis/indexes.js';
import { RedisPostRankings } from './redis/rankings.js';
import { RedisSearchIndex } from './redis/search.js';
import { RedisRankingSnapshots } from './redis/snapshots.js';
import { TurnPipeline } from './redis/turn-pipeline.js';

/**
 * The collections kept in Redis alone, whole, in their counted state: the edges (likes, follows, mutes, blocks)
 * and the places of posts in the lists of tags and explore (tagged, explorable), which are edges too.
 * They are most of the writes (a like is one), small, and read only by id or through their lists (a post's likers, an
 * account's followers, the accounts it follows, the edges of an account being deleted), which Redis keeps as
 * sorted sets moved by the same script as the edge (RedisIndexes). Their write is that one script: no MongoDB
 * write, and nothing to repair between two writes. FerretDB then takes only the content documents, whose writes
 * it can carry (bench/live.bench.ts measures both).
 */
export const redisOnly: ReadonlySet<CollectionName> = new Set([
  'likes',
  'follows',
  'mutes',
  'blocks',
  'tagged',
  'explorable',
]);

/**
 * The documents of one generation: MongoDB holds the content (users, posts, comments, replies), Redis holds the
 * hot ones again (RedisHotCopies), written right after MongoDB by the same operation under the same revision
 * guard, and read by id from there; the edges are in Redis alone (`redisOnly`). The copy of a write is made
 * even when MongoDB says it was applied already, so a crash between the two writes is repaired by the
 * redelivery, as the projection's reconcile steps are.
 *
 * A hot document missing from Redis is read from MongoDB: a generation built before the copies existed keeps
 * answering (slower) until a rebuild writes them. likedByMe has no such fallback: such a generation answers
 * false until rebuilt.
 *
 * Counts and lists live in Redis alone (RedisIndexes): a counted document's write is its MongoDB write, then one
 * script in the same pipeline as its hot copy, and every document read from MongoDB gets its counts from Redis.
 * Every read whose filter is a list's (every page of the API, every set of documents a handler reconciles but
 * an account's deletion of its comments and replies) is that list's range read, then the documents by id, so
 * FerretDB, which pushes no other filter down to SQLite's indexes, never scans on the live path.
 * MongoDB first: a deletion's flagging reads from MongoDB which documents to flag (see RedisIndexes), and a
 * crash between the two writes leaves MongoDB applied and the count not moved yet, which the redelivery's
 * script then moves.
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
    readonly indexes: RedisIndexes,
    private readonly lists: readonly SortedList[],
    private readonly redis: Redis,
  ) {
    // The one copy holding counts: the hot copies alone for hot documents, MongoDB with Redis's counts otherwise.
    const redisCopy = async (collection: CollectionName, ids: readonly string[]) =>
      isHot(collection)
        ? (await hot.getMany(collection, ids)).filter((doc) => doc !== undefined)
        : this.getMany(collection, ids);
    this.copies = { redis: { getMany: redisCopy } };
  }

  collection(name: CollectionName | 'checkpoints'): Collection<Document> {
    return this.mongo.collection(name);
  }

  ensureIndexes(names?: readonly CollectionName[]): Promise<void> {
    return this.mongo.ensureIndexes((names ?? collections).filter((name) => !redisOnly.has(name)));
  }

  async get(collection: CollectionName, id: string, fields?: readonly string[]): Promise<Doc | undefined> {
    if (redisOnly.has(collection)) return (await this.indexes.states(collection, [id]))[0];
    if (isHot(collection)) {
      const doc = await this.hot.get(collection, id, fields);
      if (doc) return doc;
    }
    const doc = await this.mongo.get(collection, id, fields);
    return doc && (await this.indexes.overlay(collection, [doc]))[0];
  }

  async getMany(collection: CollectionName, ids: readonly string[]): Promise<Doc[]> {
    if (redisOnly.has(collection)) return this.indexes.states(collection, ids);
    if (!isHot(collection))
      return this.indexes.overlay(collection, await this.mongo.getMany(collection, ids));
    const copies = await this.hot.getMany(collection, ids);
    const found = copies.filter((doc) => doc !== undefined);
    const missing = ids.filter((_, i) => copies[i] === undefined);
    if (missing.length === 0) return found;
    return [
      ...found,
      ...(await this.indexes.overlay(collection, await this.mongo.getMany(collection, missing))),
    ];
  }

  /**
   * The documents of `keys` (a list's), in that order; with `fields` the list's states answer when they hold
   * them all (an author's posts with their `at`), sparing the documents.
   */
  private async documentsOf(
    collection: CollectionName,
    keys: readonly Position[],
    fields?: readonly string[],
  ): Promise<Doc[]> {
    const ids = keys.map((key) => key.id);
    const kept = this.indexes.stateFields(collection);
    const fromStates =
      redisOnly.has(collection) || fields?.every((field) => field === 'id' || kept.includes(field)) === true;
    const docs = fromStates
      ? await this.indexes.states(collection, ids)
      : await this.getMany(collection, ids);
    const byId = new Map(docs.map((doc) => [doc.id, doc]));
    return ids.flatMap((id) => {
      const doc = byId.get(id);
      return doc ? [doc] : [];
    });
  }

  /**
   * A filter that names no list, on a collection kept in Redis alone: a scan of the whole collection, as MongoDB
   * does for a filter without an index (the tests' and an operator's reads; no handler or query does it).
   */
  private async everyState(collection: CollectionName, filter: Filter): Promise<Doc[]> {
    return (await this.indexes.allStates(collection)).filter((doc) => matchesFilter(doc, filter));
  }

  async findOne(collection: CollectionName, filter: Filter): Promise<Doc | undefined> {
    if (redisOnly.has(collection) || listFor(this.lists, collection, filter))
      return (await this.findAll(collection, filter))[0];
    const doc = await this.mongo.findOne(collection, filter);
    return doc && (await this.indexes.overlay(collection, [doc]))[0];
  }

  async findAll(collection: CollectionName, filter: Filter, fields?: readonly string[]): Promise<Doc[]> {
    const found = listFor(this.lists, collection, filter);
    if (found) return this.documentsOf(collection, await this.indexes.all(found.list, found.id), fields);
    if (redisOnly.has(collection)) return this.everyState(collection, filter);
    const docs = await this.mongo.findAll(collection, filter, fields);
    return fields ? docs : this.indexes.overlay(collection, docs);
  }

  async values(collection: CollectionName, filter: Filter, field: string): Promise<unknown[]> {
    if (!redisOnly.has(collection) && !listFor(this.lists, collection, filter))
      return this.mongo.values(collection, filter, field);
    return (await this.findAll(collection, filter, [field])).map((doc) => doc[field]);
  }

  async page(
    collection: CollectionName,
    filter: Filter,
    sort: Sort,
    after: Position | undefined,
    limit: number,
    fields?: readonly string[],
  ): Promise<Doc[]> {
    const found = sort.field === 'at' ? listFor(this.lists, collection, filter) : undefined;
    if (found) {
      const keys = await this.indexes.page(found.list, found.id, after, sort.order, limit);
      return this.documentsOf(collection, keys, fields);
    }
    if (redisOnly.has(collection))
      throw new Error(`no list of ${collection} pages ${JSON.stringify(filter)}`);
    const docs = await this.mongo.page(collection, filter, sort, after, limit, fields);
    return fields ? docs : this.indexes.overlay(collection, docs);
  }

  async pageKeys(
    collection: CollectionName,
    filter: Filter,
    sort: Sort,
    after: Position | undefined,
    limit: number,
  ): Promise<readonly Position[]> {
    const found = sort.field === 'at' ? listFor(this.lists, collection, filter) : undefined;
    if (found) return this.indexes.page(found.list, found.id, after, sort.order, limit);
    if (redisOnly.has(collection))
      throw new Error(`no list of ${collection} pages ${JSON.stringify(filter)}`);
    return this.mongo.pageKeys(collection, filter, sort, after, limit);
  }

  async count(collection: CollectionName, filter: Filter): Promise<number> {
    const found = listFor(this.lists, collection, filter);
    if (found) return this.indexes.size(found.list, found.id);
    if (redisOnly.has(collection)) return (await this.everyState(collection, filter)).length;
    return this.mongo.count(collection, filter);
  }

  async applyRevision(
    collection: CollectionName,
    id: string,
    rev: number,
    fields: Record<string, unknown>,
  ): Promise<boolean> {
    if (redisOnly.has(collection)) return this.applyInRedis(collection, id, rev, fields);
    // What Redis holds of the document's revision guards MongoDB's write (see the class comment).
    const known = this.indexes.isCounted(collection)
      ? await this.indexes.revision(collection, id)
      : isHot(collection)
        ? await this.hot.revision(collection, id)
        : undefined;
    const applied =
      known !== undefined && known >= rev
        ? false
        : await this.mongo.applyNewerRevision(collection, id, rev, fields);
    await TurnPipeline.of(this.redis).runOrThrow((pipeline) => {
      if (isHot(collection)) this.hot.applyRevision(pipeline, collection, id, rev, fields);
      // Written even when MongoDB had it already: its own guard tells whether it is a redelivery (see the class).
      this.indexes.write(pipeline, collection, id, fields, rev);
    });
    return applied;
  }

  /** An edge's write: its counted write, which is the document, and for a like its user's likedByMe entry. */
  private async applyInRedis(
    collection: CollectionName,
    id: string,
    rev: number,
    fields: Record<string, unknown>,
  ): Promise<boolean> {
    const { postId, userId, liked } = fields;
    const replies = await TurnPipeline.of(this.redis).runOrThrow((pipeline) => {
      if (collection === 'likes' && typeof postId === 'string' && typeof userId === 'string')
        this.hot.recordLike(pipeline, userId, postId, rev, liked === true);
      this.indexes.write(pipeline, collection, id, fields, rev);
    });
    return replies[replies.length - 1]?.[1] === 1;
  }

  async setFields(collection: CollectionName, id: string, fields: Record<string, unknown>): Promise<void> {
    // No handler sets a flag of a counted document by id (they flag by filter, see updateMany).
    if (this.indexes.isCounted(collection))
      throw new Error(`setFields on counted ${collection}: use updateMany`);
    await this.mongo.setFields(collection, id, fields);
    if (!isHot(collection)) return;
    await TurnPipeline.of(this.redis).runOrThrow((pipeline) => {
      this.hot.setFields(pipeline, collection, id, fields);
    });
  }

  async updateMany(
    collection: CollectionName,
    filter: Filter,
    fields: Record<string, unknown>,
  ): Promise<void> {
    const counted = this.indexes.isCounted(collection);
    if (!isHot(collection) && !counted) return this.mongo.updateMany(collection, filter, fields);
    // The matches first: the copies and counts are written by id. The matches read after the MongoDB write would
    // miss those it just changed; read before, they include every document written to MongoDB before it, which
    // is what a deletion's flagging relies on (see RedisIndexes). An edge's list is moved by its very write.
    const ids = redisOnly.has(collection)
      ? ((await this.values(collection, filter, 'id')) as string[])
      : ((await this.mongo.values(collection, filter, 'id')) as string[]);
    if (!redisOnly.has(collection)) await this.mongo.updateMany(collection, filter, fields);
    if (ids.length === 0) return;
    await TurnPipeline.of(this.redis).runOrThrow((pipeline) => {
      for (const id of ids) {
        if (isHot(collection)) this.hot.setFields(pipeline, collection, id, fields);
        if (counted) this.indexes.write(pipeline, collection, id, fields);
      }
    });
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
  readonly search: RedisSearchIndex;
  readonly rankings: RedisPostRankings;
  /** drops every collection and key of this generation */
  drop(): Promise<void>;
}

export function mongoRedisReadModelStore(options: {
  db: Db;
  redis: Redis;
  generation: number;
  /** the read models' counts and lists (registry.ts `counters`, `lists`) */
  counters: readonly Counter[];
  lists: readonly SortedList[];
  /** the read models' rankings (registry.ts `rankings`, unless told otherwise) */
  rankings?: readonly Ranking[];
  feedCap?: number;
}): MongoRedisReadModelStore {
  const prefix = `g${options.generation}:`;
  const mongo = new MongoDocumentStore(options.db, `g${options.generation}_`);
  const hot = new RedisHotCopies(options.redis, prefix);
  const indexes = new RedisIndexes(options.redis, prefix, options.counters, options.lists, redisOnly);
  const documents = new MongoRedisDocumentStore(mongo, hot, indexes, options.lists, options.redis);
  const feeds = new RedisFeedStore(options.redis, prefix, options.feedCap ?? defaultFeedCap);
  const liked: LikedPosts = { among: (userId, postIds) => hot.likedAmong(userId, postIds) };
  return {
    generation: options.generation,
    redis: options.redis,
    documents,
    feeds,
    search: new RedisSearchIndex(options.redis, prefix),
    liked,
    snapshots: new RedisRankingSnapshots(options.redis, prefix),
    rankings: new RedisPostRankings(
      options.redis,
      prefix,
      options.rankings ?? registeredRankings,
      options.lists,
    ),
    checkpoint: new MongoCheckpoint(mongo.collection('checkpoints')),
    async drop() {
      await mongo.drop();
      await feeds.dropAll();
    },
  };
}
