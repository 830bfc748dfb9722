import {
  type CollectionName,
  type Counter,
  collections,
  countersOf,
  type Doc,
  type DocumentStore,
  type Filter,
  matchesFilter,
  type Position,
  type Sort,
} from '../document-store.js';
import { compareKeys, lowerBound } from '../ordering.js';
import { isEmpty, MemoryCollection, writeField } from './index-engine.js';

/**
 * The embedded mode's documents: maps with compound indexes built for the filters the handlers and queries
 * actually use (see Index), so the hot path of a rebuild never scans. Documents handed out are copies, so a
 * caller can never change the store behind its back; only a handler's read-only view (`get` with fields) is
 * the document itself.
 *
 * Counts (see Counter) move within the write of what they count: this store is one process's maps, written by
 * one synchronous step at a time, so nothing can come between a document's write and its counters' moves.
 */
export class MemoryDocumentStore implements DocumentStore {
  private readonly collections = new Map<CollectionName, MemoryCollection>(
    collections.map((name) => [name, new MemoryCollection()]),
  );
  /** collection → the counters of its documents, for the collections that are counted */
  private readonly counted = new Map<CollectionName, Counter[]>();

  constructor(counters: readonly Counter[]) {
    for (const name of collections) {
      const of = countersOf(counters, name);
      if (of.length > 0) this.counted.set(name, of);
    }
  }

  private collection(name: CollectionName): MemoryCollection {
    return this.collections.get(name) as MemoryCollection;
  }

  async get(
    collection: CollectionName,
    id: string,
    fields?: readonly string[],
  ): Promise<Readonly<Doc> | undefined> {
    const doc = this.collection(collection).docs.get(id);
    // A view (with fields) is the document itself; see DocumentStore.get.
    return fields || !doc ? doc : { ...doc };
  }

  async getMany(
    collection: CollectionName,
    ids: readonly string[],
    fields?: readonly string[],
  ): Promise<Readonly<Doc>[]> {
    const docs = this.collection(collection).docs;
    const found: Readonly<Doc>[] = [];
    for (const id of ids) {
      const doc = docs.get(id);
      // Views (with fields) are the documents themselves, as for get: a copy of a few fields of each was most
      // of what a user search cost here (20 accounts, 40 us: each field read and written by a name not known
      // in advance).
      if (doc) found.push(fields ? doc : { ...doc });
    }
    return found;
  }

  async findOne(collection: CollectionName, filter: Filter): Promise<Doc | undefined> {
    for (const doc of this.collection(collection).find(filter)) return { ...doc };
    return undefined;
  }

  async findAll(collection: CollectionName, filter: Filter, fields?: readonly string[]): Promise<Doc[]> {
    const found: Doc[] = [];
    for (const doc of this.collection(collection).find(filter)) found.push(copyOf(doc, fields));
    return found;
  }

  async values(collection: CollectionName, filter: Filter, field: string): Promise<unknown[]> {
    const found: unknown[] = [];
    for (const doc of this.collection(collection).find(filter)) found.push(doc[field]);
    return found;
  }

  async page(
    collection: CollectionName,
    filter: Filter,
    sort: Sort,
    after: Position | undefined,
    limit: number,
    fields?: readonly string[],
  ): Promise<Doc[]> {
    const docs = this.collection(collection).docs;
    return (await this.pageKeys(collection, filter, sort, after, limit)).map((key) =>
      copyOf(docs.get(key.id) as Doc, fields),
    );
  }

  async pageKeys(
    collection: CollectionName,
    filter: Filter,
    sort: Sort,
    after: Position | undefined,
    limit: number,
  ): Promise<readonly Position[]> {
    const keys = this.collection(collection).index(filter, sort.field).keys(filter);
    if (sort.order === 1) {
      let at = after ? lowerBound(keys, after) : 0;
      const first = keys[at];
      if (after && first && compareKeys(first, after) === 0) at++;
      return keys.slice(at, at + limit);
    }
    const found: Position[] = [];
    for (let at = (after ? lowerBound(keys, after) : keys.length) - 1; at >= 0 && found.length < limit; at--)
      found.push(keys[at] as Position);
    return found;
  }

  async count(collection: CollectionName, filter: Filter): Promise<number> {
    const c = this.collection(collection);
    if (isEmpty(filter)) return c.docs.size;
    return c.index(filter).docs(filter).size;
  }

  async applyRevision(
    collection: CollectionName,
    id: string,
    rev: number,
    fields: Record<string, unknown>,
  ): Promise<boolean> {
    const c = this.collection(collection);
    const doc = c.docs.get(id);
    if (doc && doc.rev >= rev) return false;
    this.write(collection, c, id, fields, rev, doc);
    return true;
  }

  async setFields(collection: CollectionName, id: string, fields: Record<string, unknown>): Promise<void> {
    this.write(collection, this.collection(collection), id, fields);
  }

  async updateMany(
    collection: CollectionName,
    filter: Filter,
    fields: Record<string, unknown>,
  ): Promise<void> {
    const c = this.collection(collection);
    // A copy of the matches: each write moves its document out of the bucket being iterated.
    for (const doc of [...c.find(filter)]) this.write(collection, c, doc.id, fields, undefined, doc);
  }

  /** Writes a document and moves the counters whose match it changes (see the class comment). */
  private write(
    collection: CollectionName,
    c: MemoryCollection,
    id: string,
    fields: Record<string, unknown>,
    rev?: number,
    doc = c.docs.get(id),
  ): void {
    const counters = this.counted.get(collection);
    if (!counters) {
      c.write(id, fields, rev, doc);
      return;
    }
    // Which counters counted the document before the write, one bit each (a collection has a few): no array
    // is allocated on every like and follow.
    let before = 0;
    if (doc !== undefined) {
      for (let i = 0; i < counters.length; i++) if (counts(doc, counters[i] as Counter)) before |= 1 << i;
    }
    c.write(id, fields, rev, doc);
    const written = c.docs.get(id) as Doc;
    for (let i = 0; i < counters.length; i++) {
      const counter = counters[i] as Counter;
      const delta = Number(counts(written, counter)) - ((before >> i) & 1);
      if (delta !== 0) this.move(counter, written[counter.key] as string, delta);
    }
  }

  private move(counter: Counter, id: string, delta: number): void {
    const target = this.collection(counter.collection);
    const doc = target.docs.get(id);
    const count = (doc?.[counter.field] as number | undefined) ?? 0;
    writeField(target, id, counter.field, count + delta, doc);
  }

  /**
   * The document as stored, read in the caller's synchronous step (the rankings' refresh reads and writes in
   * one): read it, never change it.
   */
  peek(collection: CollectionName, id: string): Readonly<Doc> | undefined {
    return this.collection(collection).docs.get(id);
  }

  /** The documents matching `filter` as stored, in the caller's synchronous step (see peek). */
  matching(collection: CollectionName, filter: Filter): Iterable<Readonly<Doc>> {
    return this.collection(collection).find(filter);
  }

  /** how many documents `collection` holds */
  sizeOf(collection: CollectionName): number {
    return this.collection(collection).docs.size;
  }

  /** The documents of `collection` as stored, for the rebuild's export: read them, never change them. */
  stored(collection: CollectionName): readonly Readonly<Doc>[] {
    return [...this.collection(collection).docs.values()];
  }

  /** Every document of every collection, sorted by id: what two stores are compared by. */
  dump(): Record<CollectionName, Doc[]> {
    return Object.fromEntries(
      collections.map((name) => [
        name,
        [...this.collection(name).docs.values()]
          .map((doc) => ({ ...doc }))
          .sort((a, b) => (a.id < b.id ? -1 : 1)),
      ]),
    ) as Record<CollectionName, Doc[]>;
  }
}

/** Whether `doc` is one of those `counter` counts for the document its key names. */
function counts(doc: Readonly<Doc>, counter: Counter): boolean {
  const key = doc[counter.key];
  return typeof key === 'string' && matchesFilter(doc, counter.filter(key));
}

/** A copy of `doc`, or of only its `fields` (with `id` and `rev`) when given. */
function copyOf(doc: Doc, fields: readonly string[] | undefined): Doc {
  if (!fields) return { ...doc };
  const copy: Doc = { id: doc.id, rev: doc.rev };
  for (const field of fields) if (doc[field] !== undefined) copy[field] = doc[field];
  return copy;
}
