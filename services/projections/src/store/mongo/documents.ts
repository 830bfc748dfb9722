import {
  type Collection,
  type Db,
  type Document,
  type Filter as MongoFilter,
  MongoServerError,
} from 'mongodb';
import {
  type CollectionName,
  collections,
  type Doc,
  type DocumentStore,
  type Filter,
  indexedFields,
  type Position,
  type Sort,
} from '../document-store.js';
import { upsertById } from './upsert.js';

/**
 * The documents of one generation of the distributed read models: MongoDB collections `g<n>_<name>` (Redis
 * keys `g<n>:...` hold the rest, see mongo-redis.ts). Everything here works on FerretDB 1.x: equality and range
 * filters, `$or`, sorts, `$set`/`$setOnInsert` updates and upserts, nothing more.
 */
export class MongoDocumentStore implements DocumentStore {
  private ferretDb: Promise<boolean> | undefined;

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
    if (await this.isFerretDb()) return this.applyRevisionByReadThenWrite(collection, id, rev, fields);
    try {
      // The guard is in the filter: a document at `rev` or later does not match, and the upsert then collides on
      // _id instead of inserting a second document, which means "already applied". MongoDB applies the filter
      // and the update to the document atomically, through its _id index.
      const result = await this.collection(collection).updateOne(
        { _id: id as never, rev: { $lt: rev } },
        { $set: { ...fields, rev } },
        { upsert: true },
      );
      return result.matchedCount + result.upsertedCount > 0;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  /**
   * applyRevision for a caller that guards the revision itself (MongoRedisDocumentStore, by the revision Redis
   * holds: MongoDB then holds at most the event before this one, or this one again after a crash). MongoDB
   * still takes its guarded upsert, atomic there. FerretDB takes an upsert by `_id` alone, the one shape it
   * looks up by index (see applyRevisionByReadThenWrite). One command each, not bulk writes of many: FerretDB
   * 1.24 holds one of its 100 pooled SQLite connections per matched update until the whole command ends
   * (handler/msg_update.go), so commands of many updates from several workers at once wait on each other for
   * ever (measured: three workers writing bulks of up to 99 stopped after 27 events).
   */
  async applyNewerRevision(
    collection: CollectionName,
    id: string,
    rev: number,
    fields: Record<string, unknown>,
  ): Promise<boolean> {
    if (!(await this.isFerretDb())) return this.applyRevision(collection, id, rev, fields);
    await upsertById(this.collection(collection), id, { $set: { ...fields, rev } });
    return true;
  }

  /**
   * applyRevision on FerretDB 1.x (SQLite), where only a filter that is `{ _id }` alone reaches SQLite: any other
   * filter, the revision guard's included, is answered by decoding every document of the collection in Go
   * (handler/msg_update.go hands the filter to backends/sqlite/collection.go Query, which builds a WHERE only
   * for a lone string `_id`). So the revision is read by `{ _id }`, and the write is an insert (when absent) or
   * an update by `{ _id }`. bench/ferretdb-ops.bench.ts, p50 on a loaded 2-core machine, existing / new document:
   * 1k likes, the guarded upsert 38 / 49 ms, this 13 / 8 ms; 20k likes, 831 / 774 ms and 130 / 72 ms.
   *
   * Exactly as exact as the guarded upsert is there: FerretDB runs that one as a read and a later write too
   * (handler/msg_update.go reads, common/update.go writes the whole document in another SQLite transaction), no
   * compare-and-set, so two writers of one document can both pass the guard. What keeps a revision from going
   * back is that one worker applies a stream's events, one at a time (the stream id is the Kafka key), and both
   * this read and this write happen inside that one application. The insert is atomic even there (the unique
   * `_id` index): a document created meanwhile (a placeholder from setFields) fails it, and the read is redone.
   */
  private async applyRevisionByReadThenWrite(
    collection: CollectionName,
    id: string,
    rev: number,
    fields: Record<string, unknown>,
  ): Promise<boolean> {
    const documents = this.collection(collection);
    for (;;) {
      const stored = await documents.findOne({ _id: id as never }, { projection: { rev: 1 } });
      if (stored && typeof stored.rev === 'number' && stored.rev >= rev) return false;
      if (stored) {
        await documents.updateOne({ _id: id as never }, { $set: { ...fields, rev } });
        return true;
      }
      try {
        await documents.insertOne({ _id: id as never, ...fields, rev });
        return true;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
    }
  }

  /** Whether the server is FerretDB, whose buildInfo names its own version beside the MongoDB one it emulates. */
  private isFerretDb(): Promise<boolean> {
    this.ferretDb ??= this.db
      .admin()
      .command({ buildInfo: 1 })
      .then((info) => typeof info.ferretdbVersion === 'string')
      .catch((error: unknown) => {
        this.ferretDb = undefined;
        throw error;
      });
    return this.ferretDb;
  }

  async setFields(collection: CollectionName, id: string, fields: Record<string, unknown>): Promise<void> {
    await upsertById(this.collection(collection), id, { $set: fields, $setOnInsert: { rev: -1 } });
  }

  async updateMany(
    collection: CollectionName,
    filter: Filter,
    fields: Record<string, unknown>,
  ): Promise<void> {
    await this.collection(collection).updateMany(filter, { $set: fields });
  }
}

function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
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
