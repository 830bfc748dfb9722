import { isDeepStrictEqual } from 'node:util';
import { type Collection, type Db, type Document, MongoServerError } from 'mongodb';
import type { NotificationDoc } from './documents.js';
import type {
  Documents,
  NotificationDocuments,
  NotificationPosition,
  NotificationStore,
  Updated,
} from './port.js';
import { withoutUndefined } from './without-undefined.js';

/** The version each stored document carries for compare-and-set; never seen by the read model. */
interface Versioned {
  _v: number;
}

const duplicateKey = 11000;

/**
 * Documents in a MongoDB collection. `update` is a compare-and-set on a version field (`_v`): read, change,
 * replace where the version is still the one read, else read again. It needs no transactions, positional or array
 * operators (FerretDB 1.x has none): each document is replaced whole, by `_id`, the one lookup FerretDB serves from
 * an index.
 *
 * FerretDB 1.x does not apply a write's filter and the write atomically: it reads the documents matching `_id`,
 * filters the rest (`_v`) in its own process, then writes by `_id` alone, so two replaces guarded by the same
 * version both match (measured: of 10 sent at once, 2 or 3 matched) and one change is lost. MongoDB's guard is
 * atomic. So this process also runs one update of a document at a time: the updates of the consumer's streams
 * side by side, and the queries' (read markers), are exact on either server. Across processes (two instances of
 * the service writing one notification) only MongoDB's guard holds.
 */
class MongoDocuments<T extends { _id: string }> implements Documents<T> {
  /** the tail of the updates of each document under way in this process */
  private readonly updating = new Map<string, Promise<unknown>>();

  constructor(protected readonly collection: Collection<Document>) {}

  async get(id: string): Promise<T | undefined> {
    const doc = await this.collection.findOne({ _id: id as never });
    return doc ? stripped<T>(doc) : undefined;
  }

  async getMany(ids: readonly string[]): Promise<T[]> {
    if (ids.length === 0) return [];
    const docs = await this.collection.find({ _id: { $in: [...ids] as never[] } }).toArray();
    return docs.map((doc) => stripped<T>(doc));
  }

  async update(id: string, change: (current: T | undefined) => T | undefined): Promise<Updated<T>> {
    const previous = this.updating.get(id);
    const run = previous
      ? previous.then(() => this.compareAndSet(id, change))
      : this.compareAndSet(id, change);
    const tail = run.catch(() => {});
    this.updating.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.updating.get(id) === tail) this.updating.delete(id);
    }
  }

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
      const guard = { _id: id as never, _v: version };
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

class MongoNotifications extends MongoDocuments<NotificationDoc> implements NotificationDocuments {
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
    const filter: Document = since === undefined ? { recipient } : { recipient, updatedAt: { $gt: since } };
    const docs = await this.collection.find(filter).toArray();
    return docs.map((doc) => stripped<NotificationDoc>(doc));
  }
}

function stripped<T>(doc: Document): T {
  const { _v, ...rest } = doc;
  return rest as T;
}

/** The collections of the notifications read model, named `<prefix>_<kind>`. */
export async function mongoNotificationStore(db: Db, prefix = 'notifications'): Promise<NotificationStore> {
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
    accounts: new MongoDocuments(collection('accounts')),
    posts: new MongoDocuments(collection('posts')),
    comments: new MongoDocuments(collection('comments')),
    replies: new MongoDocuments(collection('replies')),
    edges: new MongoDocuments(collection('edges')),
    marks: new MongoDocuments(collection('marks')),
    notifications: new MongoNotifications(notifications),
  };
}
