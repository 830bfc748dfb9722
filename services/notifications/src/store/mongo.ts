import { isDeepStrictEqual } from 'node:util';
import type { Redis } from 'ioredis';
import { type Collection, type Db, type Document, MongoServerError } from 'mongodb';
import { type NotificationAbout, withActor } from './actors.js';
import type { NotificationDoc } from './documents.js';
import type {
  Documents,
  NotificationDocuments,
  NotificationPosition,
  NotificationStore,
  Updated,
} from './port.js';
import { RedisDocuments } from './redis-documents.js';
import { withoutUndefined } from './without-undefined.js';

/** The version each stored document carries for compare-and-set; never seen by the read model. */
interface Versioned {
  _v: number;
}

const duplicateKey = 11000;

/**
 * What the server behind the connection does well. FerretDB 1.x hands SQLite's index only a filter that is `_id`
 * alone (internal/backends/sqlite/collection.go, `params.Filter.Len() == 1`): `{ _id, _v }` and `{ _id: { $in } }`
 * read every document of the collection, and a write's filter is matched in FerretDB's process, then the write
 * made by `_id` alone, so two writes guarded by the same version both match (measured: of 10 replaces sent at
 * once, 2 or 3). MongoDB serves both filters from the index and applies the guard atomically.
 */
export interface MongoServer {
  /** FerretDB 1.x: every read and write on the live path by `_id` alone */
  ferretDb: boolean;
}

/**
 * Documents in a MongoDB collection. `update` is a compare-and-set on a version field (`_v`): read, change,
 * replace where the version is still the one read, else read again. It needs no transactions, positional or array
 * operators (FerretDB 1.x has none): each document is replaced whole, by `_id`.
 *
 * This process also runs one update of a document at a time (the consumer's streams side by side, the queries'
 * read markers), so the updates made here are exact on either server, and on FerretDB the write is guarded by
 * `_id` alone, which its index serves (its version guard would read the whole collection and still not be atomic,
 * see MongoServer). Across processes (two instances of the service writing one notification) the version guard
 * keeps the updates exact on MongoDB only.
 */
class MongoDocuments<T extends { _id: string }> implements Documents<T> {
  /** the tail of the updates of each document under way in this process */
  private readonly updating = new Map<string, Promise<unknown>>();

  constructor(
    protected readonly collection: Collection<Document>,
    protected readonly server: MongoServer,
  ) {}

  async get(id: string): Promise<T | undefined> {
    const doc = await this.collection.findOne({ _id: id as never });
    return doc ? stripped<T>(doc) : undefined;
  }

  async getMany(ids: readonly string[]): Promise<T[]> {
    if (ids.length === 0) return [];
    if (this.server.ferretDb) {
      const docs = await Promise.all(ids.map((id) => this.get(id)));
      return docs.filter((doc) => doc !== undefined);
    }
    const docs = await this.collection.find({ _id: { $in: [...ids] as never[] } }).toArray();
    return docs.map((doc) => stripped<T>(doc));
  }

  async update(id: string, change: (current: T | undefined) => T | undefined): Promise<Updated<T>> {
    const apply = async () => {
      const result = await this.compareAndSet(id, change);
      await this.updated(id, result);
      return result;
    };
    const previous = this.updating.get(id);
    const run = previous ? previous.then(apply) : apply();
    const tail = run.catch(() => {});
    this.updating.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.updating.get(id) === tail) this.updating.delete(id);
    }
  }

  /** After each update, changed or not, before the next update of the document in this process. */
  protected async updated(_id: string, _result: Updated<T>): Promise<void> {}

  private async compareAndSet(
    id: string,
    change: (current: T | undefined) => T | undefined,
  ): Promise<Updated<T>> {
    for (;;) {
      const stored = await this.collection.findOne({ _id: id as never });
      const before = stored ? stripped<T>(stored) : undefined;
      const after = withoutUndefined(change(before === undefined ? undefined : structuredClone(before)));
      if (isDeepStrictEqual(before, after)) return { before, after: before, changed: false };
      const version = (stored as Versioned | null)?._v ?? 0;
      if (stored === null) {
        try {
          await this.collection.insertOne({ ...(after as Document), _v: 1 });
          return { before, after, changed: true };
        } catch (error) {
          // Another writer inserted it first: change the document it wrote.
          if (error instanceof MongoServerError && error.code === duplicateKey) continue;
          throw error;
        }
      }
      const guard = this.server.ferretDb ? { _id: id as never } : { _id: id as never, _v: version };
      if (after === undefined) {
        const { deletedCount } = await this.collection.deleteOne(guard);
        if (deletedCount === 1) return { before, after, changed: true };
      } else {
        const { matchedCount } = await this.collection.replaceOne(guard, { ...after, _v: version + 1 });
        if (matchedCount === 1) return { before, after, changed: true };
      }
    }
  }

  async find(field: string, value: string): Promise<T[]> {
    const docs = await this.collection.find({ [field]: value }).toArray();
    return docs.map((doc) => stripped<T>(doc));
  }
}

/**
 * The notifications in MongoDB, where they are changed (compare-and-set) and found by field, and two things in Redis
 * that the live stream reads at every change it sends: a copy of each notification, read by id (`get`, `getMany`),
 * and each recipient's ids by update time, a sorted set (score: `updatedAt` in ms), from which the unread count
 * takes those updated after the read marker. FerretDB would read every notification for that filter, and the
 * unread notifications one round trip each. Both are written after the document, changed or not, so the
 * redelivery of an event that a crash interrupted between the writes puts them right. An id a crash left in a
 * recipient's set (the redelivery of a removal no longer knows whose it was) only costs a read of nothing.
 */
class MongoNotifications extends MongoDocuments<NotificationDoc> implements NotificationDocuments {
  constructor(
    collection: Collection<Document>,
    server: MongoServer,
    private readonly redis: Redis,
    private readonly keys: { copy: string; byUpdateTime: string },
  ) {
    super(collection, server);
  }

  protected override async updated(id: string, { before, after }: Updated<NotificationDoc>): Promise<void> {
    const write = this.redis.multi();
    if (after) {
      write.set(this.keys.copy + id, JSON.stringify(after));
      write.zadd(this.keys.byUpdateTime + after.recipient, Date.parse(after.updatedAt), id);
    } else {
      write.del(this.keys.copy + id);
      if (before) write.zrem(this.keys.byUpdateTime + before.recipient, id);
    }
    await write.exec();
  }

  async addActor(about: NotificationAbout, actor: string, at: string, keepTime: boolean): Promise<boolean> {
    const { changed } = await this.update(about._id, (current) =>
      withActor(current, about, actor, at, keepTime),
    );
    return changed;
  }

  override async get(id: string): Promise<NotificationDoc | undefined> {
    const copy = await this.redis.get(this.keys.copy + id);
    return copy === null ? undefined : (JSON.parse(copy) as NotificationDoc);
  }

  override async getMany(ids: readonly string[]): Promise<NotificationDoc[]> {
    if (ids.length === 0) return [];
    const copies = await this.redis.mget(ids.map((id) => this.keys.copy + id));
    return copies.flatMap((copy) => (copy === null ? [] : [JSON.parse(copy) as NotificationDoc]));
  }

  async newestFirst(
    recipient: string,
    after: NotificationPosition | undefined,
    limit: number,
  ): Promise<NotificationDoc[]> {
    const filter: Document = { recipient };
    if (after) {
      filter.$or = [
        { updatedAt: { $lt: after.updatedAt } },
        { updatedAt: after.updatedAt, _id: { $lt: after.id } },
      ];
    }
    const docs = await this.collection.find(filter).sort({ updatedAt: -1, _id: -1 }).limit(limit).toArray();
    return docs.map((doc) => stripped<NotificationDoc>(doc));
  }

  async updatedAfter(recipient: string, since: string | undefined): Promise<NotificationDoc[]> {
    // From the millisecond of `since` on, then exactly on the copies as stored.
    const from = since === undefined ? '-inf' : String(Math.floor(Date.parse(since)));
    const ids = await this.redis.zrangebyscore(this.keys.byUpdateTime + recipient, from, '+inf');
    const docs = await this.getMany(ids);
    return docs.filter(
      (doc) => doc.recipient === recipient && (since === undefined || doc.updatedAt > since),
    );
  }
}

function stripped<T>(doc: Document): T {
  const { _v, ...rest } = doc;
  return rest as T;
}

/**
 * The notifications read model of the distributed mode: the documents a like reads and writes besides its
 * notification (its edge, the post, the two accounts) in Redis, under `<database>:<prefix>:<kind>:`; the others in
 * MongoDB collections named `<prefix>_<kind>`. A like then costs MongoDB its notification alone (a read and a
 * write): at the seven operations a like took, FerretDB (about 1,000 single operations/s on 2 cores) applied at
 * most about 100 likes/s, its other readers aside; with two, about 350/s. The live stream's reads are in Redis too
 * (MongoNotifications).
 */
export async function mongoNotificationStore(
  db: Db,
  redis: Redis,
  prefix = 'notifications',
): Promise<NotificationStore> {
  const server: MongoServer = {
    ferretDb: 'ferretdbFeatures' in (await db.admin().command({ buildInfo: 1 })),
  };
  const keyed = (kind: string) => `${db.databaseName}:${prefix}:${kind}:`;
  const collection = (name: string) => db.collection(`${prefix}_${name}`);
  const notifications = collection('notifications');
  // The lists' and the take-backs' lookups (MongoDB uses them; FerretDB 1.x scans, see README). One at a time:
  // FerretDB 1.x drops the connection on a `createIndexes` of several indexes that already exist, which every
  // start after the first (a restart, a second instance) sends.
  const keys: Record<string, 1 | -1>[] = [
    { recipient: 1, updatedAt: -1, _id: -1 },
    { actorIds: 1 },
    { postId: 1 },
    { postAuthorId: 1 },
    { commentId: 1 },
    { replyId: 1 },
  ];
  for (const key of keys) await notifications.createIndex(key);
  await collection('replies').createIndex({ commentId: 1 });
  await collection('edges').createIndex({ from: 1 });
  await collection('edges').createIndex({ to: 1 });
  return {
    accounts: new RedisDocuments(redis, keyed('accounts')),
    posts: new RedisDocuments(redis, keyed('posts')),
    comments: new MongoDocuments(collection('comments'), server),
    replies: new MongoDocuments(collection('replies'), server),
    likes: new RedisDocuments(redis, keyed('likes')),
    edges: new MongoDocuments(collection('edges'), server),
    marks: new MongoDocuments(collection('marks'), server),
    notifications: new MongoNotifications(notifications, server, redis, {
      copy: keyed('notifications'),
      byUpdateTime: keyed('by-update-time'),
    }),
  };
}
