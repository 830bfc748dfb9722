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
  type Position,
  type ReadModelStore,
  type Sort,
} from './document-store.js';

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

  async ensureIndexes(): Promise<void> {
    for (const name of collections) {
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

  async page(
    collection: CollectionName,
    filter: Filter,
    sort: Sort,
    after: Position | undefined,
    limit: number,
    fields?: readonly string[],
  ): Promise<Doc[]> {
    const beyond = sort.order === 1 ? '$gt' : '$lt';
    const query: MongoFilter<Document> = after
      ? {
          ...filter,
          $or: [
            { [sort.field]: { [beyond]: after.value } },
            { [sort.field]: after.value, _id: { [beyond]: after.id } },
          ],
        }
      : { ...filter };
    const docs = await this.collection(collection)
      .find(query, { projection: projectionOf(fields) })
      .sort({ [sort.field]: sort.order, _id: sort.order })
      .limit(limit)
      .toArray();
    return docs.map(toDoc);
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
    const args = entries.flatMap((entry) => [entry.score, entry.postId]);
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
      pipeline.zadd(this.key(userId), ...entries.flatMap((entry) => [entry.score, entry.postId]));
      pipeline.zremrangebyrank(this.key(userId), 0, -(this.cap + 1));
    }
    await execOrThrow(pipeline);
  }

  async remove(userIds: readonly string[], entries: readonly FeedEntry[]): Promise<void> {
    if (userIds.length === 0 || entries.length === 0) return;
    const postIds = entries.map((entry) => entry.postId);
    const pipeline = this.redis.pipeline();
    for (const userId of userIds) pipeline.zrem(this.key(userId), ...postIds);
    await execOrThrow(pipeline);
  }

  async drop(userId: string): Promise<void> {
    await this.redis.del(this.key(userId));
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
        const entry = { postId: raw[i] as string, score: Number(raw[i + 1]) };
        if (after && entry.score === after.value && entry.postId >= after.id) continue;
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

async function execOrThrow(pipeline: ReturnType<Redis['pipeline']>): Promise<void> {
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
  readonly documents: MongoDocumentStore;
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
  const documents = new MongoDocumentStore(options.db, `g${options.generation}_`);
  const feeds = new RedisFeedStore(options.redis, `g${options.generation}:`, options.feedCap ?? 800);
  return {
    generation: options.generation,
    documents,
    feeds,
    checkpoint: new MongoCheckpoint(documents.collection('checkpoints')),
    async drop() {
      await documents.drop();
      await feeds.dropAll();
    },
  };
}
