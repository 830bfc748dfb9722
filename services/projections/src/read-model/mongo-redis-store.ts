import type { Redis } from 'ioredis';
import {
  type Collection,
  type Db,
  type Document,
  type Filter as MongoFilter,
  MongoServerError,
} from 'mongodb';
import {
  type CheckpointStore,
  type CollectionName,
  collections,
  type Doc,
  type DocumentStore,
  type FeedEntry,
  type FeedStore,
  type Filter,
  indexedFields,
  type LikedPosts,
  type MergingFollower,
  type Position,
  type ReadModelStore,
  type Sort,
} from './document-store.js';
import { isHot, RedisHotCopies } from './redis-hot-copies.js';

/**
 * One generation of the distributed read models: MongoDB collections `g<n>_<name>` and Redis keys `g<n>:...`.
 * A rebuild writes generation n+1 beside the live one n, then moves the `readModels` pointer document; the
 * query API follows the pointer (see generations.ts). Everything here works on FerretDB 1.x: equality and range
 * filters, `$or`, sorts, `$set`/`$setOnInsert`/`$max` updates and upserts, nothing more.
 */
export class MongoDocumentStore implements DocumentStore {
  constructor(
    private readonly db: Db,
    readonly prefix: string,
  ) {}

  collection(name: CollectionName | 'checkpoints'): Collection<Document> {
    return this.db.collection(`${this.prefix}${name}`);
  }

  async ensureIndexes(names: readonly CollectionName[] = collections): Promise<void> {
    for (const name of names) {
      // One index per command: FerretDB 1.24 drops the connection (a panic) when one createIndexes command
      // names several indexes that exist already, as on every restart.
      for (const field of indexedFields[name]) await this.collection(name).createIndex({ [field]: 1 });
    }
  }

  async drop(): Promise<void> {
    for (const name of [...collections, 'checkpoints'] as const) {
      await this.collection(name)
        .drop()
        .catch(() => {});
    }
  }

  async get(collection: CollectionName, id: string, fields?: readonly string[]): Promise<Doc | undefined> {
    const doc = await this.collection(collection).findOne(
      { _id: id as never },
      { projection: projectionOf(fields) },
    );
    return doc ? toDoc(doc) : undefined;
  }

  async getMany(collection: CollectionName, ids: readonly string[]): Promise<Doc[]> {
    if (ids.length === 0) return [];
    // One query, not one per id: FerretDB 1.x (SQLite backend) answers even `findOne({ _id })` with a scan of
    // the collection (measured by bench/feed.bench.ts), so a page's worth of point reads would be as many scans.
    return (
      await this.collection(collection)
        .find({ _id: { $in: [...ids] as never[] } })
        .toArray()
    ).map(toDoc);
  }

  async findOne(collection: CollectionName, filter: Filter): Promise<Doc | undefined> {
    const doc = await this.collection(collection).findOne(filter);
    return doc ? toDoc(doc) : undefined;
  }

  async findAll(collection: CollectionName, filter: Filter, fields?: readonly string[]): Promise<Doc[]> {
    return (
      await this.collection(collection)
        .find(filter, { projection: projectionOf(fields) })
        .toArray()
    ).map(toDoc);
  }

  async values(collection: CollectionName, filter: Filter, field: string): Promise<unknown[]> {
    const name = field === 'id' ? '_id' : field;
    const docs = await this.collection(collection)
      .find(filter, { projection: { [name]: 1 } })
      .toArray();
    return docs.map((doc) => doc[name]);
  }

  async page(
    collection: CollectionName,
    filter: Filter,
    sort: Sort,
    after: Position | undefined,
    limit: number,
    fields?: readonly string[],
  ): Promise<Doc[]> {
    const docs = await this.collection(collection)
      .find(pageFilter(filter, sort, after), { projection: projectionOf(fields) })
      .sort({ [sort.field]: sort.order, _id: sort.order })
      .limit(limit)
      .toArray();
    return docs.map(toDoc);
  }

  async pageKeys(
    collection: CollectionName,
    filter: Filter,
    sort: Sort,
    after: Position | undefined,
    limit: number,
  ): Promise<Position[]> {
    const docs = await this.collection(collection)
      .find(pageFilter(filter, sort, after), { projection: { [sort.field]: 1 } })
      .sort({ [sort.field]: sort.order, _id: sort.order })
      .limit(limit)
      .toArray();
    return docs.map((doc) => ({ value: doc[sort.field] as number, id: String(doc._id) }));
  }

  async count(collection: CollectionName, filter: Filter): Promise<number> {
    return this.collection(collection).countDocuments(filter);
  }

  async applyRevision(
    collection: CollectionName,
    id: string,
    rev: number,
    fields: Record<string, unknown>,
  ): Promise<boolean> {
    try {
      // The guard is in the filter: a document at `rev` or later does not match, and the upsert then collides on
      // _id instead of inserting a second document, which means "already applied".
      const result = await this.collection(collection).updateOne(
        { _id: id as never, rev: { $lt: rev } },
        { $set: { ...fields, rev } },
        { upsert: true },
      );
      return result.matchedCount + result.upsertedCount > 0;
    } catch (error) {
      if (error instanceof MongoServerError && error.code === 11000) return false;
      throw error;
    }
  }

  async setFields(collection: CollectionName, id: string, fields: Record<string, unknown>): Promise<void> {
    await this.collection(collection).updateOne(
      { _id: id as never },
      { $set: fields, $setOnInsert: { rev: -1 } },
      { upsert: true },
    );
  }

  async updateMany(
    collection: CollectionName,
    filter: Filter,
    fields: Record<string, unknown>,
  ): Promise<void> {
    await this.collection(collection).updateMany(filter, { $set: fields });
  }
}

/** `filter`, and beyond `after` in `sort` order when given. */
function pageFilter(filter: Filter, sort: Sort, after: Position | undefined): MongoFilter<Document> {
  if (!after) return { ...filter };
  const beyond = sort.order === 1 ? '$gt' : '$lt';
  return {
    ...filter,
    $or: [
      { [sort.field]: { [beyond]: after.value } },
      { [sort.field]: after.value, _id: { [beyond]: after.id } },
    ],
  };
}

/** Only `fields` (and `_id`, `rev`) when given; every field otherwise. */
function projectionOf(fields: readonly string[] | undefined): Document | undefined {
  return fields && Object.fromEntries([...fields, 'rev'].map((field) => [field, 1]));
}

function toDoc({ _id, ...fields }: Document): Doc {
  return { id: String(_id), ...fields } as Doc;
}

/**
 * Home feeds as Redis sorted sets: member = post id, score = the post's creation time in ms. Redis orders equal
 * scores by member, so ZREVRANGE order is exactly (score, id) descending, the order of the memory adapter, and
 * ZREMRANGEBYRANK 0..-(cap+1) drops the same entries the memory adapter drops.
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
    const pipeline = this.redis.pipeline();
    for (const userId of userIds) {
      pipeline.zadd(this.key(userId), ...args);
      pipeline.zremrangebyrank(this.key(userId), 0, -(this.cap + 1));
    }
    await execOrThrow(pipeline);
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
    const pipeline = this.redis.pipeline();
    for (const userId of userIds) pipeline.zrem(this.key(userId), ...postIds);
    await execOrThrow(pipeline);
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
    const pipeline = this.redis.pipeline();
    for (const { userId, at } of followers) pipeline.zadd(this.mergedKey(userId), at, authorId);
    await execOrThrow(pipeline);
  }

  async unmergeAuthor(authorId: string, userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const userId of userIds) pipeline.zrem(this.mergedKey(userId), authorId);
    await execOrThrow(pipeline);
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

  async page(userId: string, after: Position | undefined, limit: number): Promise<FeedEntry[]> {
    const found: FeedEntry[] = [];
    // From the cursor's score down; entries of that same score are kept only when their id sorts below it.
    // Equal scores (posts of the same millisecond) are rare, so the first read nearly always suffices.
    for (let offset = 0; found.length < limit; ) {
      const count = limit - found.length + 8;
      const raw = await this.redis.zrevrangebyscore(
        this.key(userId),
        after ? after.value : '+inf',
        '-inf',
        'WITHSCORES',
        'LIMIT',
        offset,
        count,
      );
      for (let i = 0; i + 1 < raw.length && found.length < limit; i += 2) {
        const entry = { id: raw[i] as string, value: Number(raw[i + 1]) };
        if (after && entry.value === after.value && entry.id >= after.id) continue;
        found.push(entry);
      }
      if (raw.length < count * 2) break;
      offset += count;
    }
    return found;
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

  findOne(collection: CollectionName, filter: Filter): Promise<Doc | undefined> {
    return this.mongo.findOne(collection, filter);
  }

  findAll(collection: CollectionName, filter: Filter, fields?: readonly string[]): Promise<Doc[]> {
    return this.mongo.findAll(collection, filter, fields);
  }

  values(collection: CollectionName, filter: Filter, field: string): Promise<unknown[]> {
    return this.mongo.values(collection, filter, field);
  }

  page(
    collection: CollectionName,
    filter: Filter,
    sort: Sort,
    after: Position | undefined,
    limit: number,
    fields?: readonly string[],
  ): Promise<Doc[]> {
    return this.mongo.page(collection, filter, sort, after, limit, fields);
  }

  pageKeys(
    collection: CollectionName,
    filter: Filter,
    sort: Sort,
    after: Position | undefined,
    limit: number,
  ): Promise<readonly Position[]> {
    return this.mongo.pageKeys(collection, filter, sort, after, limit);
  }

  count(collection: CollectionName, filter: Filter): Promise<number> {
    return this.mongo.count(collection, filter);
  }

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

/** Runs a pipeline, throwing its first error. */
export async function execOrThrow(pipeline: ReturnType<Redis['pipeline']>): Promise<void> {
  for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
}

class MongoCheckpoint implements CheckpointStore {
  constructor(private readonly collection: Collection<Document>) {}

  async position(): Promise<number> {
    const doc = await this.collection.findOne({ _id: 'projections' as never });
    return typeof doc?.position === 'number' ? doc.position : 0;
  }

  async advance(position: number): Promise<void> {
    await this.collection.updateOne(
      { _id: 'projections' as never },
      { $max: { position } },
      { upsert: true },
    );
  }
}

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
  const feeds = new RedisFeedStore(options.redis, prefix, options.feedCap ?? 800);
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
