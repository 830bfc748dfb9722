import {
  type CheckpointStore,
  type CollectionName,
  collections,
  type Doc,
  type DocumentStore,
  type FeedEntry,
  type FeedStore,
  type Filter,
  type Position,
  type ReadModelStore,
  type Sort,
} from './document-store.js';

/** Compares two (sort value, id) keys in ascending order. */
export function compareKeys(a: Position, b: Position): number {
  if (a.value !== b.value) return a.value < b.value ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The first index in `keys` (ascending) whose key is not below `key`. */
function lowerBound(keys: readonly Position[], key: Position): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareKeys(keys[mid] as Position, key) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * The bucket of a document in an index over `fields`: its values, typed (so `true` and `'true'` differ), or
 * undefined when a field is missing or not a plain value, since an equality filter then never matches it.
 */
function bucketOf(values: Readonly<Record<string, unknown>>, fields: readonly string[]): string | undefined {
  let key = '';
  for (const field of fields) {
    const value = values[field];
    switch (typeof value) {
      case 'string':
        key += `s${value}\u0000`;
        break;
      case 'number':
        key += `n${value}\u0000`;
        break;
      case 'boolean':
        key += value ? 't\u0000' : 'f\u0000';
        break;
      default:
        return undefined;
    }
  }
  return key;
}

/**
 * A compound equality index, built on the first query of its shape (the set of filtered fields) and kept
 * current on every write: a count is then a bucket's size and a page a slice of a sorted bucket, however many
 * documents the collection holds. With `sortField`, each bucket is kept in (sort value, id) order; a document
 * without a numeric sort value is left out of such an index (every paged document sets its sort field together
 * with the flag its queries filter on).
 */
class Index {
  private readonly sets = new Map<string, Set<string>>();
  private readonly sorted = new Map<string, Position[]>();

  constructor(
    readonly fields: readonly string[],
    readonly sortField: string | undefined,
  ) {}

  /** Whether writing `fields` may move a document between buckets or within its bucket. */
  touches(fields: Record<string, unknown>): boolean {
    if (this.sortField !== undefined && this.sortField in fields) return true;
    for (const field of this.fields) if (field in fields) return true;
    return false;
  }

  private entryOf(doc: Doc): { bucket: string; key?: Position } | undefined {
    const bucket = bucketOf(doc, this.fields);
    if (bucket === undefined) return undefined;
    if (this.sortField === undefined) return { bucket };
    const value = doc[this.sortField];
    return typeof value === 'number' ? { bucket, key: { value, id: doc.id } } : undefined;
  }

  add(doc: Doc): void {
    const entry = this.entryOf(doc);
    if (!entry) return;
    if (entry.key) {
      let keys = this.sorted.get(entry.bucket);
      if (!keys) {
        keys = [];
        this.sorted.set(entry.bucket, keys);
      }
      const last = keys[keys.length - 1];
      // Most documents arrive newest last: appending is then the common case.
      if (!last || compareKeys(last, entry.key) < 0) keys.push(entry.key);
      else keys.splice(lowerBound(keys, entry.key), 0, entry.key);
    } else {
      let ids = this.sets.get(entry.bucket);
      if (!ids) {
        ids = new Set();
        this.sets.set(entry.bucket, ids);
      }
      ids.add(doc.id);
    }
  }

  delete(doc: Doc): void {
    const entry = this.entryOf(doc);
    if (!entry) return;
    if (entry.key) {
      const keys = this.sorted.get(entry.bucket);
      if (!keys) return;
      const at = lowerBound(keys, entry.key);
      if (keys[at]?.id === doc.id) keys.splice(at, 1);
      if (keys.length === 0) this.sorted.delete(entry.bucket);
    } else {
      const ids = this.sets.get(entry.bucket);
      ids?.delete(doc.id);
      if (ids?.size === 0) this.sets.delete(entry.bucket);
    }
  }

  ids(filter: Filter): ReadonlySet<string> {
    return this.sets.get(bucketOf(filter, this.fields) as string) ?? noIds;
  }

  keys(filter: Filter): readonly Position[] {
    return this.sorted.get(bucketOf(filter, this.fields) as string) ?? noKeys;
  }
}

/** A copy of `doc`, or of only its `fields` (with `id` and `rev`) when given. */
function copyOf(doc: Doc, fields: readonly string[] | undefined): Doc {
  if (!fields) return { ...doc };
  const copy: Doc = { id: doc.id, rev: doc.rev };
  for (const field of fields) if (doc[field] !== undefined) copy[field] = doc[field];
  return copy;
}

const noIds: ReadonlySet<string> = new Set();
const noKeys: readonly Position[] = [];

class MemoryCollection {
  readonly docs = new Map<string, Doc>();
  private readonly indexes: Index[] = [];
  /** `${sort field}|${filter's fields in the caller's order}` → the index of that shape */
  private readonly byShape = new Map<string, Index>();

  /** The index answering `filter` (sorted on `sortField` when given), built from the documents on first use. */
  index(filter: Filter, sortField?: string): Index {
    const shape = `${sortField ?? ''}|${Object.keys(filter).join('|')}`;
    let index = this.byShape.get(shape);
    if (!index) {
      index = new Index(Object.keys(filter).sort(), sortField);
      for (const doc of this.docs.values()) index.add(doc);
      this.indexes.push(index);
      this.byShape.set(shape, index);
    }
    return index;
  }

  find(filter: Filter): Iterable<Doc> {
    if (Object.keys(filter).length === 0) return this.docs.values();
    const found: Doc[] = [];
    for (const id of this.index(filter).ids(filter)) found.push(this.docs.get(id) as Doc);
    return found;
  }

  write(id: string, fields: Record<string, unknown>, rev?: number): void {
    let doc = this.docs.get(id);
    const created = !doc;
    if (!doc) {
      doc = { id, rev: -1 };
      this.docs.set(id, doc);
    }
    if (!created) for (const index of this.indexes) if (index.touches(fields)) index.delete(doc);
    Object.assign(doc, fields);
    if (rev !== undefined) doc.rev = rev;
    for (const index of this.indexes) if (created || index.touches(fields)) index.add(doc);
  }
}

/**
 * The embedded mode's documents: maps with compound indexes built for the filters the handlers and queries
 * actually use (see Index), so the hot path of a rebuild never scans. Documents handed out are copies, so a
 * caller can never change the store behind its back.
 */
export class MemoryDocumentStore implements DocumentStore {
  private readonly collections = new Map<CollectionName, MemoryCollection>(
    collections.map((name) => [name, new MemoryCollection()]),
  );

  private collection(name: CollectionName): MemoryCollection {
    return this.collections.get(name) as MemoryCollection;
  }

  async get(collection: CollectionName, id: string, fields?: readonly string[]): Promise<Doc | undefined> {
    const doc = this.collection(collection).docs.get(id);
    return doc && copyOf(doc, fields);
  }

  async getMany(collection: CollectionName, ids: readonly string[]): Promise<Doc[]> {
    const docs = this.collection(collection).docs;
    return ids.flatMap((id) => {
      const doc = docs.get(id);
      return doc ? [{ ...doc }] : [];
    });
  }

  async findOne(collection: CollectionName, filter: Filter): Promise<Doc | undefined> {
    for (const doc of this.collection(collection).find(filter)) return { ...doc };
    return undefined;
  }

  async findAll(collection: CollectionName, filter: Filter, fields?: readonly string[]): Promise<Doc[]> {
    return [...this.collection(collection).find(filter)].map((doc) => copyOf(doc, fields));
  }

  async page(
    collection: CollectionName,
    filter: Filter,
    sort: Sort,
    after: Position | undefined,
    limit: number,
    fields?: readonly string[],
  ): Promise<Doc[]> {
    const c = this.collection(collection);
    const keys = c.index(filter, sort.field).keys(filter);
    const found: Doc[] = [];
    if (sort.order === 1) {
      let at = after ? lowerBound(keys, after) : 0;
      const first = keys[at];
      if (after && first && compareKeys(first, after) === 0) at++;
      for (; at < keys.length && found.length < limit; at++)
        found.push(c.docs.get((keys[at] as Position).id) as Doc);
    } else {
      for (
        let at = (after ? lowerBound(keys, after) : keys.length) - 1;
        at >= 0 && found.length < limit;
        at--
      )
        found.push(c.docs.get((keys[at] as Position).id) as Doc);
    }
    return found.map((doc) => copyOf(doc, fields));
  }

  async count(collection: CollectionName, filter: Filter): Promise<number> {
    const c = this.collection(collection);
    if (Object.keys(filter).length === 0) return c.docs.size;
    return c.index(filter).ids(filter).size;
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
    for (const doc of [...c.find(filter)]) c.write(doc.id, fields);
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

/** Feed entries in ascending (score, post id) order, without allocating keys: this runs a million times a rebuild. */
function ascending(a: FeedEntry, b: FeedEntry): number {
  if (a.score !== b.score) return a.score < b.score ? -1 : 1;
  return a.postId < b.postId ? -1 : a.postId > b.postId ? 1 : 0;
}

/** The first index in `feed` (ascending) whose entry is not below `key`. */
function feedBound(feed: readonly FeedEntry[], key: Position): number {
  let low = 0;
  let high = feed.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const entry = feed[mid] as FeedEntry;
    if (entry.score < key.value || (entry.score === key.value && entry.postId < key.id)) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Home feeds as sorted arrays with the Redis adapter's semantics (capped, newest first). Each array is kept
 * oldest first, so the usual insert (the newest post) is a push. The cap is applied lazily: only the newest
 * `cap` entries of an array are the feed, the ones below are cut off once the array reaches twice the cap, and
 * always before a removal (which must not let a dropped entry back in, as ZREM in Redis does not).
 */
export class MemoryFeedStore implements FeedStore {
  private readonly feeds = new Map<string, FeedEntry[]>();

  constructor(private readonly cap: number) {}

  async add(userIds: readonly string[], entries: readonly FeedEntry[]): Promise<void> {
    const sorted = distinctAscending(entries);
    if (sorted.length === 0) return;
    for (const userId of userIds) {
      let feed = this.feeds.get(userId);
      if (!feed) {
        feed = [];
        this.feeds.set(userId, feed);
      }
      insertAll(feed, sorted, this.cap);
    }
  }

  async remove(userIds: readonly string[], entries: readonly FeedEntry[]): Promise<void> {
    // A few posts (a deletion) are found by binary search; many (an unfollow) by one pass over the feed.
    const removed = entries.length > 8 ? new Set(entries.map((entry) => entry.postId)) : undefined;
    for (const userId of userIds) {
      const feed = this.feeds.get(userId);
      if (!feed) continue;
      if (feed.length > this.cap) feed.splice(0, feed.length - this.cap);
      if (removed) {
        let kept = 0;
        for (const entry of feed) if (!removed.has(entry.postId)) feed[kept++] = entry;
        feed.length = kept;
      } else {
        for (const entry of entries) {
          const at = feedBound(feed, { value: entry.score, id: entry.postId });
          if (feed[at]?.postId === entry.postId) feed.splice(at, 1);
        }
      }
      if (feed.length === 0) this.feeds.delete(userId);
    }
  }

  async drop(userId: string): Promise<void> {
    this.feeds.delete(userId);
  }

  async page(userId: string, after: Position | undefined, limit: number): Promise<FeedEntry[]> {
    const feed = this.feeds.get(userId) ?? [];
    const oldest = Math.max(0, feed.length - this.cap);
    const found: FeedEntry[] = [];
    for (
      let at = (after ? feedBound(feed, after) : feed.length) - 1;
      at >= oldest && found.length < limit;
      at--
    ) {
      const entry = feed[at] as FeedEntry;
      found.push({ postId: entry.postId, score: entry.score });
    }
    return found;
  }

  /** Every feed newest first (Redis order), keyed by user, for comparisons and the export. */
  dump(): Record<string, FeedEntry[]> {
    return Object.fromEntries(
      [...this.feeds.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([userId, feed]) => [userId, feed.slice(-this.cap).reverse()]),
    );
  }
}

/**
 * Copies of `entries` in ascending order, each post once. They mostly come already ordered (a post, or an
 * author's recent posts newest first), which is checked before paying for a sort. One copy is shared by every
 * feed it goes into (entries are never changed in place): a post fanned out to thousands of followers is one
 * object, not thousands, which is most of what a rebuild would otherwise leave to the garbage collector.
 */
function distinctAscending(entries: readonly FeedEntry[]): FeedEntry[] {
  const copies = entries.map((entry) => ({ postId: entry.postId, score: entry.score }));
  let ascendingRun = true;
  let descendingRun = true;
  for (let i = 1; i < copies.length && (ascendingRun || descendingRun); i++) {
    const order = ascending(copies[i - 1] as FeedEntry, copies[i] as FeedEntry);
    if (order >= 0) ascendingRun = false;
    if (order <= 0) descendingRun = false;
  }
  if (ascendingRun) return copies;
  if (descendingRun) return copies.reverse();
  copies.sort(ascending);
  return copies.filter((entry, i) => i === 0 || ascending(copies[i - 1] as FeedEntry, entry) !== 0);
}

/**
 * Merges `entries` (ascending, distinct) into `feed` in place, once per post, as ZADD then the trim to `cap`
 * do in Redis. The usual case, entries newer than the whole feed, is a push. Otherwise the feed is first cut to
 * its visible part (so no dropped entry comes back), entries a full feed would drop at once are skipped, and
 * the rest is merged from the back into the grown array, without building a new one: a rebuild does this for
 * every follow, with up to `cap` entries each.
 */
function insertAll(feed: FeedEntry[], entries: readonly FeedEntry[], cap: number): void {
  const last = feed[feed.length - 1];
  if (!last || ascending(last, entries[0] as FeedEntry) < 0) {
    for (const entry of entries) feed.push(entry);
    if (feed.length >= 2 * cap) feed.splice(0, feed.length - cap);
    return;
  }
  if (feed.length > cap) feed.splice(0, feed.length - cap);
  let from = Math.max(0, entries.length - cap);
  const oldest = feed[0] as FeedEntry;
  if (feed.length >= cap)
    while (from < entries.length && ascending(entries[from] as FeedEntry, oldest) < 0) from++;
  if (from === entries.length) return;
  let i = feed.length - 1;
  let j = entries.length - 1;
  let k = feed.length + entries.length - from - 1;
  for (let grow = entries.length - from; grow > 0; grow--) feed.push(oldest);
  while (j >= from) {
    const b = entries[j] as FeedEntry;
    const a = i >= 0 ? (feed[i] as FeedEntry) : undefined;
    const order = a ? ascending(a, b) : -1;
    if (order >= 0) {
      feed[k--] = a as FeedEntry;
      i--;
      if (order === 0) j--;
    } else {
      feed[k--] = b;
      j--;
    }
  }
  // Posts already in the feed left as many unused slots between the untouched front and the merged back.
  if (k > i) feed.splice(i + 1, k - i);
  if (feed.length > cap) feed.splice(0, feed.length - cap);
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
