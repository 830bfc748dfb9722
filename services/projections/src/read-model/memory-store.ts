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

/** Compares two (sort value, id) keys in ascending order. */
export function compareKeys(a: Position, b: Position): number {
  if (a.value !== b.value) return a.value < b.value ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function matches(doc: Doc, filter: Filter): boolean {
  for (const field in filter) if (doc[field] !== filter[field]) return false;
  return true;
}

class MemoryCollection {
  readonly docs = new Map<string, Doc>();
  /** field → value → ids */
  private readonly indexes = new Map<string, Map<unknown, Set<string>>>();

  constructor(fields: readonly string[]) {
    for (const field of fields) this.indexes.set(field, new Map());
  }

  candidates(filter: Filter): Iterable<Doc> {
    for (const field in filter) {
      const index = this.indexes.get(field);
      if (!index) continue;
      const ids = index.get(filter[field]);
      if (!ids) return [];
      return [...ids].map((id) => this.docs.get(id) as Doc);
    }
    return this.docs.values();
  }

  write(id: string, fields: Record<string, unknown>, rev?: number): void {
    let doc = this.docs.get(id);
    if (!doc) {
      doc = { id, rev: -1 };
      this.docs.set(id, doc);
    }
    for (const [field, value] of Object.entries(fields)) {
      const index = this.indexes.get(field);
      if (index && doc[field] !== value) {
        if (doc[field] !== undefined) index.get(doc[field])?.delete(id);
        let ids = index.get(value);
        if (!ids) {
          ids = new Set();
          index.set(value, ids);
        }
        ids.add(id);
      }
      doc[field] = value;
    }
    if (rev !== undefined) doc.rev = rev;
  }
}

/**
 * The embedded mode's documents: maps with the same indexes the MongoDB adapter declares. Documents handed out
 * are copies, so a caller can never change the store behind its back.
 */
export class MemoryDocumentStore implements DocumentStore {
  private readonly collections = new Map<CollectionName, MemoryCollection>(
    collections.map((name) => [name, new MemoryCollection(indexedFields[name])]),
  );

  private collection(name: CollectionName): MemoryCollection {
    return this.collections.get(name) as MemoryCollection;
  }

  async get(collection: CollectionName, id: string): Promise<Doc | undefined> {
    const doc = this.collection(collection).docs.get(id);
    return doc && { ...doc };
  }

  async getMany(collection: CollectionName, ids: readonly string[]): Promise<Doc[]> {
    const docs = this.collection(collection).docs;
    return ids.flatMap((id) => {
      const doc = docs.get(id);
      return doc ? [{ ...doc }] : [];
    });
  }

  async findOne(collection: CollectionName, filter: Filter): Promise<Doc | undefined> {
    for (const doc of this.collection(collection).candidates(filter))
      if (matches(doc, filter)) return { ...doc };
    return undefined;
  }

  async findAll(collection: CollectionName, filter: Filter): Promise<Doc[]> {
    const found: Doc[] = [];
    for (const doc of this.collection(collection).candidates(filter))
      if (matches(doc, filter)) found.push({ ...doc });
    return found;
  }

  async page(
    collection: CollectionName,
    filter: Filter,
    sort: Sort,
    after: Position | undefined,
    limit: number,
  ): Promise<Doc[]> {
    const keyOf = (doc: Doc): Position => ({ value: doc[sort.field] as number, id: doc.id });
    const found: Doc[] = [];
    for (const doc of this.collection(collection).candidates(filter)) {
      if (!matches(doc, filter)) continue;
      if (after && sort.order * compareKeys(keyOf(doc), after) <= 0) continue;
      found.push(doc);
    }
    found.sort((a, b) => sort.order * compareKeys(keyOf(a), keyOf(b)));
    return found.slice(0, limit).map((doc) => ({ ...doc }));
  }

  async count(collection: CollectionName, filter: Filter): Promise<number> {
    let n = 0;
    for (const doc of this.collection(collection).candidates(filter)) if (matches(doc, filter)) n++;
    return n;
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
    c.write(id, fields, rev);
    return true;
  }

  async setFields(collection: CollectionName, id: string, fields: Record<string, unknown>): Promise<void> {
    this.collection(collection).write(id, fields);
  }

  async updateMany(
    collection: CollectionName,
    filter: Filter,
    fields: Record<string, unknown>,
  ): Promise<void> {
    const c = this.collection(collection);
    for (const doc of [...c.candidates(filter)]) if (matches(doc, filter)) c.write(doc.id, fields);
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

/** Feed order: newest first, ties by post id descending. */
const feedOrder = (a: FeedEntry, b: FeedEntry) =>
  -compareKeys({ value: a.score, id: a.postId }, { value: b.score, id: b.postId });

/** Inserts into a feed kept in feed order, once per post, dropping the oldest beyond `cap`. */
function insertCapped(feed: FeedEntry[], entry: FeedEntry, cap: number): void {
  let low = 0;
  let high = feed.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (feedOrder(feed[mid] as FeedEntry, entry) < 0) low = mid + 1;
    else high = mid;
  }
  if (feed[low]?.postId === entry.postId) return;
  if (low >= cap) return;
  feed.splice(low, 0, { postId: entry.postId, score: entry.score });
  if (feed.length > cap) feed.length = cap;
}

/** Home feeds as sorted arrays with the Redis adapter's semantics (capped, newest first). */
export class MemoryFeedStore implements FeedStore {
  readonly feeds = new Map<string, FeedEntry[]>();

  constructor(private readonly cap: number) {}

  async add(userIds: readonly string[], entries: readonly FeedEntry[]): Promise<void> {
    for (const userId of userIds) {
      let feed = this.feeds.get(userId);
      if (!feed) {
        feed = [];
        this.feeds.set(userId, feed);
      }
      for (const entry of entries) insertCapped(feed, entry, this.cap);
    }
  }

  async remove(userIds: readonly string[], postIds: readonly string[]): Promise<void> {
    const removed = new Set(postIds);
    for (const userId of userIds) {
      const feed = this.feeds.get(userId);
      if (!feed) continue;
      const kept = feed.filter((entry) => !removed.has(entry.postId));
      if (kept.length > 0) this.feeds.set(userId, kept);
      else this.feeds.delete(userId);
    }
  }

  async drop(userId: string): Promise<void> {
    this.feeds.delete(userId);
  }

  async page(userId: string, after: Position | undefined, limit: number): Promise<FeedEntry[]> {
    const feed = this.feeds.get(userId) ?? [];
    const start = after
      ? feed.findIndex((entry) => compareKeys({ value: entry.score, id: entry.postId }, after) < 0)
      : 0;
    return start < 0 ? [] : feed.slice(start, start + limit).map((entry) => ({ ...entry }));
  }

  /** Every feed, keyed by user, for comparisons. */
  dump(): Record<string, FeedEntry[]> {
    return Object.fromEntries([...this.feeds.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}

class MemoryCheckpoint implements CheckpointStore {
  private current = 0;
  async position(): Promise<number> {
    return this.current;
  }
  async advance(position: number): Promise<void> {
    if (position > this.current) this.current = position;
  }
}

export interface MemoryReadModelStore extends ReadModelStore {
  readonly documents: MemoryDocumentStore;
  readonly feeds: MemoryFeedStore;
}

export function createMemoryReadModelStore(options: { feedCap?: number } = {}): MemoryReadModelStore {
  return {
    documents: new MemoryDocumentStore(),
    feeds: new MemoryFeedStore(options.feedCap ?? 800),
    checkpoint: new MemoryCheckpoint(),
  };
}
