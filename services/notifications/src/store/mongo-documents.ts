import { isDeepStrictEqual } from 'node:util';
import { type Collection, type Document, MongoServerError } from 'mongodb';
import { OneAtATime } from './one-at-a-time.js';
import type { KeyedDocuments, Updated } from './port.js';
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
  /** FerretDB 1.x: every read and write by `_id` alone */
  ferretDb: boolean;
}

/**
 * Documents in a MongoDB collection, read and written by `_id`: the read markers, the one kind of the read model
 * that no event makes and a rebuild from the log could not give back, so it is kept where it is durable. `update`
 * is a compare-and-set on a version field (`_v`): read, change, replace where the version is still the one read,
 * else read again. It needs no transactions, positional or array operators (FerretDB 1.x has none): each document
 * is replaced whole, by `_id`.
 *
 * This process also runs one update of a document at a time (the consumer's streams side by side, the queries'
 * read markers), so the updates made here are exact on either server, and on FerretDB the write is guarded by
 * `_id` alone, which its index serves (its version guard would read the whole collection and still not be atomic,
 * see MongoServer). Across processes (two instances of the service moving one account's marker) the version guard
 * keeps the updates exact on MongoDB only.
 */
export class MongoDocuments<T extends { _id: string }> implements KeyedDocuments<T> {
  private readonly updating = new OneAtATime();

  constructor(
    private readonly collection: Collection<Document>,
    private readonly server: MongoServer,
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
    return this.updating.run(id, () => this.compareAndSet(id, change));
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
}

function stripped<T>(doc: Document): T {
  const { _v, ...rest } = doc;
  return rest as T;
}
