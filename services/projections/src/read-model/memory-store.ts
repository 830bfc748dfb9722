import {
  type CheckpointStore,
  type CollectionName,
  collections,
  compareKeys,
  type Doc,
  type DocumentStore,
  type FeedEntry,
  type FeedStore,
  type Filter,
  type LikedPosts,
  type MergingFollower,
  type Position,
  type ReadModelStore,
  type Sort,
} from './document-store.js';
import { likeId } from './keys.js';

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

type Leaf = Set<Doc> | Position[];
type Node = Map<unknown, unknown>;

/** Whether `value` is one an equality filter can match (a missing field or an object matches nothing). */
function isPlain(value: unknown): value is string | number | boolean {
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean';
}

/**
 * A compound equality index, built on the first query of its shape (the set of filtered fields) and kept
 * current on every write: a count is then a bucket's size and a page a slice of a sorted bucket, however many
 * documents the collection holds. Buckets are nested maps keyed by the fields' values, one level per field, so
 * `true` and `'true'` differ as they do in MongoDB and no key is built per lookup. With `sortField`, each bucket
 * is kept in (sort value, id) order; a document without a numeric sort value is left out of such an index
 * (every paged document sets its sort field together with the flag its queries filter on).
 */
class Index {
  private readonly root: Node = new Map();
  /** the bucket of an index over no field */
  private readonly whole: Leaf;
  /** the maps from the root to a bucket, kept between calls so that removing a document allocates nothing */
  private readonly path: Node[] = [];
  /**
   * The values of `fields` being looked up, read once each: a read by a field name held in a variable, on
   * documents of many shapes, is the slowest step of an index write.
   */
  private readonly values: unknown[] = [];

  constructor(
    readonly fields: readonly string[],
    readonly sortField: string | undefined,
  ) {
    this.whole = sortField === undefined ? new Set() : [];
  }

  /** Whether writing `fields` over `doc` moves it between buckets or within its bucket. */
  moves(doc: Doc, fields: Record<string, unknown>): boolean {
    for (const field of this.fields) if (field in fields && fields[field] !== doc[field]) return true;
    const sortField = this.sortField;
    return sortField !== undefined && sortField in fields && fields[sortField] !== doc[sortField];
  }

  /** The bucket `values` (a document or a filter) belong to; created on demand, undefined when there is none. */
  private bucket(source: Readonly<Record<string, unknown>>, create: boolean): Leaf | undefined {
    const fields = this.fields;
    if (fields.length === 0) return this.whole;
    const values = this.values;
    for (let i = 0; i < fields.length; i++) {
      const value = source[fields[i] as string];
      if (create && !isPlain(value)) return undefined;
      values[i] = value;
    }
    let node = this.root;
    const last = fields.length - 1;
    for (let i = 0; i <= last; i++) {
      const value = values[i];
      let next = node.get(value) as Node | Leaf | undefined;
      if (next === undefined) {
        if (!create) return undefined;
        next = i < last ? new Map() : this.sortField === undefined ? new Set<Doc>() : [];
        node.set(value, next);
      }
      if (i === last) return next as Leaf;
      node = next as Node;
    }
    return undefined;
  }

  add(doc: Doc): void {
    const sortField = this.sortField;
    if (sortField === undefined) {
      (this.bucket(doc, true) as Set<Doc> | undefined)?.add(doc);
      return;
    }
    const value = doc[sortField];
    if (typeof value !== 'number') return;
    const keys = this.bucket(doc, true) as Position[] | undefined;
    if (!keys) return;
    const key: Position = { value, id: doc.id };
    const last = keys[keys.length - 1];
    // Most documents arrive newest last: appending is then the common case.
    if (!last || compareKeys(last, key) < 0) keys.push(key);
    else keys.splice(lowerBound(keys, key), 0, key);
  }

  delete(doc: Doc): void {
    const fields = this.fields;
    let leaf: Leaf | undefined;
    if (fields.length === 0) leaf = this.whole;
    else {
      const path = this.path;
      const values = this.values;
      path.length = 0;
      let node = this.root;
      for (let i = 0; i < fields.length; i++) {
        path.push(node);
        values[i] = doc[fields[i] as string];
        const next = node.get(values[i]) as Node | Leaf | undefined;
        if (next === undefined) return;
        if (i === fields.length - 1) leaf = next as Leaf;
        else node = next as Node;
      }
    }
    if (leaf instanceof Set) leaf.delete(doc);
    else if (leaf) {
      const value = doc[this.sortField as string];
      if (typeof value !== 'number') return;
      const at = lowerBound(leaf, { value, id: doc.id });
      if (leaf[at]?.id === doc.id) leaf.splice(at, 1);
    }
    if (fields.length === 0 || (leaf instanceof Set ? leaf.size : (leaf as Position[]).length) > 0) return;
    // Empty buckets go, and the maps left empty above them, so churn does not leave buckets behind.
    for (let i = fields.length - 1; i >= 0; i--) {
      const node = this.path[i] as Node;
      const value = this.values[i];
      if (i < fields.length - 1 && (node.get(value) as Node).size > 0) return;
      node.delete(value);
    }
  }

  /** the documents themselves (an unsorted bucket holds them, so a query never looks them up by id) */
  docs(filter: Filter): ReadonlySet<Doc> {
    return (this.bucket(filter, false) as Set<Doc> | undefined) ?? noDocs;
  }

  keys(filter: Filter): readonly Position[] {
    return (this.bucket(filter, false) as Position[] | undefined) ?? noKeys;
  }
}

/** A copy of `doc`, or of only its `fields` (with `id` and `rev`) when given. */
function copyOf(doc: Doc, fields: readonly string[] | undefined): Doc {
  if (!fields) return { ...doc };
  const copy: Doc = { id: doc.id, rev: doc.rev };
  for (const field of fields) if (doc[field] !== undefined) copy[field] = doc[field];
  return copy;
}

const noDocs: ReadonlySet<Doc> = new Set();
const noKeys: readonly Position[] = [];

/** The indexes of one sort field, found by walking the filter's field names: no key is built per query. */
interface Shape {
  index?: Index;
  readonly next: Map<string, Shape>;
}

class MemoryCollection {
  readonly docs = new Map<string, Doc>();
  private readonly indexes: Index[] = [];
  /** which indexes a write moves the document in, kept between writes */
  private readonly moving: boolean[] = [];
  /** sort field ('' for none) → filter field names in the caller's order → the index of that shape */
  private readonly shapes = new Map<string, Shape>();
  /** `${sort field}|${sorted filter fields}` → index, so that shapes differing only in order share one */
  private readonly byFields = new Map<string, Index>();

  /** The index answering `filter` (sorted on `sortField` when given), built from the documents on first use. */
  index(filter: Filter, sortField?: string): Index {
    let shape: Shape | undefined = this.shapes.get(sortField ?? '');
    if (!shape) {
      shape = { next: new Map() };
      this.shapes.set(sortField ?? '', shape);
    }
    for (const field in filter) {
      let next: Shape | undefined = shape.next.get(field);
      if (!next) {
        next = { next: new Map() };
        shape.next.set(field, next);
      }
      shape = next;
    }
    if (!shape.index) {
      // Flags first, ids last: the maps of the first levels then stay few and small (cached), and only the last
      // level is a large map, instead of one small map per id.
      const fields = Object.keys(filter).sort(
        (a, b) =>
          Number(typeof filter[b] === 'boolean') - Number(typeof filter[a] === 'boolean') || (a < b ? -1 : 1),
      );
      shape.index = this.indexOver(fields, sortField);
    }
    return shape.index;
  }

  private indexOver(fields: string[], sortField: string | undefined): Index {
    const key = `${sortField ?? ''}|${fields.join('|')}`;
    let index = this.byFields.get(key);
    if (!index) {
      index = new Index(fields, sortField);
      for (const doc of this.docs.values()) index.add(doc);
      this.indexes.push(index);
      this.byFields.set(key, index);
    }
    return index;
  }

  find(filter: Filter): Iterable<Doc> {
    return isEmpty(filter) ? this.docs.values() : this.index(filter).docs(filter);
  }

  /** Writes `fields` (and `rev` when given) into the document `id`, which is `doc` when the caller has it. */
  write(id: string, fields: Record<string, unknown>, rev?: number, doc = this.docs.get(id)): void {
    const indexes = this.indexes;
    if (!doc) {
      // One allocation of the final size, rather than growing the new object field by field. `id` and `rev`
      // come first: a literal that starts with a spread and adds properties after it took 2.3 µs a document,
      // this 0.4 µs (a third of applyRevision's time in a rebuild). They are set again after the spread, so
      // that `fields` can never override them.
      doc = { id, rev: -1, ...fields } as Doc;
      doc.id = id;
      doc.rev = rev ?? -1;
      this.docs.set(id, doc);
      for (const index of indexes) index.add(doc);
      return;
    }
    const moving = this.moving;
    for (let i = 0; i < indexes.length; i++) {
      const index = indexes[i] as Index;
      moving[i] = index.moves(doc, fields);
      if (moving[i]) index.delete(doc);
    }
    Object.assign(doc, fields);
    if (rev !== undefined) doc.rev = rev;
    for (let i = 0; i < indexes.length; i++) if (moving[i]) (indexes[i] as Index).add(doc);
  }
}

function isEmpty(filter: Filter): boolean {
  for (const _ in filter) return false;
  return true;
}

/**
 * The embedded mode's documents: maps with compound indexes built for the filters the handlers and queries
 * actually use (see Index), so the hot path of a rebuild never scans. Documents handed out are copies, so a
 * caller can never change the store behind its back; only a handler's read-only view (`get` with fields) is
 * the document itself.
 */
export class MemoryDocumentStore implements DocumentStore {
  private readonly collections = new Map<CollectionName, MemoryCollection>(
    collections.map((name) => [name, new MemoryCollection()]),
  );

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

  async getMany(collection: CollectionName, ids: readonly string[]): Promise<Doc[]> {
    const docs = this.collection(collection).docs;
    const found: Doc[] = [];
    for (const id of ids) {
      const doc = docs.get(id);
      if (doc) found.push({ ...doc });
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
    c.write(id, fields, rev, doc);
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
    // A copy of the matches: each write moves its document out of the bucket being iterated.
    for (const doc of [...c.find(filter)]) c.write(doc.id, fields, undefined, doc);
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

/** likedByMe read from the like edges themselves, one point read each: what memory serves directly. */
export class LikedPostsFromEdges implements LikedPosts {
  constructor(private readonly documents: DocumentStore) {}

  async among(userId: string, postIds: readonly string[]): Promise<Set<string>> {
    const edges = await this.documents.getMany(
      'likes',
      postIds.map((postId) => likeId(postId, userId)),
    );
    return new Set(edges.filter((edge) => edge.liked === true).map((edge) => edge.postId as string));
  }
}

/** The first index in `feed` (ascending) whose entry is not below `key`. */
function feedBound(feed: readonly FeedEntry[], key: Position, low = 0): number {
  let high = feed.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const entry = feed[mid] as FeedEntry;
    if (entry.value < key.value || (entry.value === key.value && entry.id < key.id)) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * One user's feed: entries oldest first. Only the newest `cap` entries are the feed, and none below `start`:
 * entries there fell off for good (a removal happened while they were below the cap, and ZREM in Redis does
 * not let a dropped entry back in). They are cut off lazily, when the array has grown to twice the cap or
 * before a merge, so that neither the usual push nor a removal moves the whole array.
 */
interface MemoryFeed {
  readonly entries: FeedEntry[];
  /**
   * `entries[i].value` for every `i < synced`, side by side, for merges: a merge compares a feed's entries from
   * the back, a few hundred per follow, and read through the entries each comparison followed a pointer to an
   * object allocated elsewhere (about 2.8 million cache misses a rebuild). A push, the common case, leaves it
   * alone, since writing it would cost the push a cache miss of its own; the next merge copies what was pushed.
   */
  values: Float64Array;
  synced: number;
  start: number;
  /**
   * The newest entry's key, copied here: a post fanned out to a follower is usually newer than the whole feed,
   * and this object is at hand (just looked up), while the array's last slot and the entry it points to are two
   * more reads from memory nobody touched lately; a rebuild checks this half a million times.
   */
  newestValue: number;
  newestId: string;
}

function newFeed(): MemoryFeed {
  return {
    entries: [],
    values: new Float64Array(0),
    synced: 0,
    start: 0,
    newestValue: Number.NEGATIVE_INFINITY,
    newestId: '',
  };
}

/** `feed.values` with room for `length` entries and every current entry's value in it. */
function syncedValues(feed: MemoryFeed, length: number): Float64Array {
  let values = feed.values;
  if (values.length < length) {
    values = new Float64Array(Math.max(length, 2 * values.length, 64));
    values.set(feed.values.subarray(0, feed.synced));
    feed.values = values;
  }
  const entries = feed.entries;
  for (let at = feed.synced; at < entries.length; at++) values[at] = (entries[at] as FeedEntry).value;
  feed.synced = entries.length;
  return values;
}

/** Removes `count` entries from `at` on. */
function cut(feed: MemoryFeed, at: number, count: number): void {
  feed.entries.splice(at, count);
  if (at >= feed.synced) return;
  if (at + count < feed.synced) {
    feed.values.copyWithin(at, at + count, feed.synced);
    feed.synced -= count;
  } else {
    feed.synced = at;
  }
}

/** Copies the newest entry's key into the feed (after anything but a push). */
function noteNewest(feed: MemoryFeed): void {
  const last = feed.entries[feed.entries.length - 1];
  feed.newestValue = last ? last.value : Number.NEGATIVE_INFINITY;
  feed.newestId = last ? last.id : '';
}

/** The index of the oldest entry of the feed. */
function oldestOf(feed: MemoryFeed, cap: number): number {
  return Math.max(feed.start, feed.entries.length - cap);
}

/** Drops the entries that fell off, so that the array is exactly the feed. */
function compact(feed: MemoryFeed, cap: number): void {
  const oldest = oldestOf(feed, cap);
  if (oldest > 0) cut(feed, 0, oldest);
  feed.start = 0;
}

/** Home feeds as sorted arrays (see MemoryFeed) with the Redis adapter's semantics: capped, newest first. */
export class MemoryFeedStore implements FeedStore {
  private readonly feeds = new Map<string, MemoryFeed>();
  /** user → merged author → follow time */
  private readonly merged = new Map<string, Map<string, number>>();

  constructor(private readonly cap: number) {}

  async add(userIds: readonly string[], entries: readonly FeedEntry[]): Promise<void> {
    const sorted = distinctAscending(entries);
    if (sorted.length === 0) return;
    for (const userId of userIds) {
      let feed = this.feeds.get(userId);
      if (!feed) {
        feed = newFeed();
        this.feeds.set(userId, feed);
      }
      insertAll(feed, sorted, this.cap);
    }
  }

  async remove(userIds: readonly string[], entries: readonly FeedEntry[]): Promise<void> {
    // A few posts (a deletion) are found by binary search; many (an unfollow) by one pass over the feed.
    const removed = entries.length > 8 ? new Set(entries.map((entry) => entry.id)) : undefined;
    for (const userId of userIds) {
      const feed = this.feeds.get(userId);
      if (!feed) continue;
      const list = feed.entries;
      if (removed) {
        compact(feed, this.cap);
        const values = feed.values;
        let kept = 0;
        let keptSynced = 0;
        for (let at = 0; at < list.length; at++) {
          const entry = list[at] as FeedEntry;
          if (removed.has(entry.id)) continue;
          if (at < feed.synced) {
            values[kept] = values[at] as number;
            keptSynced = kept + 1;
          }
          list[kept++] = entry;
        }
        list.length = kept;
        feed.synced = keptSynced;
      } else {
        // What is below the cap now stays out, whatever this removal frees.
        feed.start = oldestOf(feed, this.cap);
        for (const entry of entries) {
          const at = feedBound(list, entry, feed.start);
          if (list[at]?.id === entry.id) cut(feed, at, 1);
        }
      }
      if (list.length === feed.start) this.feeds.delete(userId);
      else noteNewest(feed);
    }
  }

  async size(userId: string): Promise<number> {
    const feed = this.feeds.get(userId);
    return feed ? feed.entries.length - oldestOf(feed, this.cap) : 0;
  }

  async drop(userId: string): Promise<void> {
    this.feeds.delete(userId);
    this.merged.delete(userId);
  }

  async mergeAuthor(authorId: string, followers: readonly MergingFollower[]): Promise<void> {
    for (const { userId, at } of followers) {
      let authors = this.merged.get(userId);
      if (!authors) {
        authors = new Map();
        this.merged.set(userId, authors);
      }
      authors.set(authorId, at);
    }
  }

  async unmergeAuthor(authorId: string, userIds: readonly string[]): Promise<void> {
    for (const userId of userIds) {
      const authors = this.merged.get(userId);
      authors?.delete(authorId);
      if (authors?.size === 0) this.merged.delete(userId);
    }
  }

  async mergedAuthors(userId: string, limit: number): Promise<string[]> {
    return [...(this.merged.get(userId) ?? [])]
      .sort(([a, at], [b, bt]) => bt - at || (a < b ? 1 : a > b ? -1 : 0))
      .slice(0, limit)
      .map(([authorId]) => authorId);
  }

  async page(userId: string, after: Position | undefined, limit: number): Promise<FeedEntry[]> {
    const feed = this.feeds.get(userId);
    if (!feed) return [];
    const oldest = oldestOf(feed, this.cap);
    const list = feed.entries;
    const found: FeedEntry[] = [];
    for (
      let at = (after ? feedBound(list, after, oldest) : list.length) - 1;
      at >= oldest && found.length < limit;
      at--
    )
      found.push(list[at] as FeedEntry);
    return found;
  }

  /** Every feed newest first (Redis order), keyed by user, for comparisons and the export. */
  dump(): Record<string, FeedEntry[]> {
    return Object.fromEntries(
      [...this.feeds.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([userId, feed]) => [userId, feed.entries.slice(oldestOf(feed, this.cap)).reverse()]),
    );
  }

  /** Every user's merged authors with their follow times, keyed by user, for comparisons and the export. */
  dumpMergedAuthors(): Record<string, Record<string, number>> {
    return Object.fromEntries(
      [...this.merged.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([userId, authors]) => [
          userId,
          Object.fromEntries([...authors].sort(([a], [b]) => (a < b ? -1 : 1))),
        ]),
    );
  }
}

/**
 * `entries` in ascending order, each post once. They mostly come already ordered (a post, or an author's recent
 * posts newest first), which is checked before paying for a sort. The entry objects themselves are kept, and
 * shared by every feed they go into (entries are values, never changed): a post fanned out to thousands of
 * followers is one object, not thousands, which is most of what a rebuild would otherwise leave to the garbage
 * collector.
 */
function distinctAscending(entries: readonly FeedEntry[]): readonly FeedEntry[] {
  let ascendingRun = true;
  let descendingRun = true;
  for (let i = 1; i < entries.length && (ascendingRun || descendingRun); i++) {
    const order = compareKeys(entries[i - 1] as FeedEntry, entries[i] as FeedEntry);
    if (order >= 0) ascendingRun = false;
    if (order <= 0) descendingRun = false;
  }
  if (ascendingRun) return entries;
  if (descendingRun) return [...entries].reverse();
  const sorted = [...entries].sort(compareKeys);
  return sorted.filter((entry, i) => i === 0 || compareKeys(sorted[i - 1] as FeedEntry, entry) !== 0);
}

/**
 * Merges `entries` (ascending, distinct) into `feed` in place, once per post, as ZADD then the trim to `cap`
 * do in Redis. The usual case, entries newer than the whole feed, is a push. Otherwise the feed is first cut to
 * its visible part (so no dropped entry comes back), entries a full feed would drop at once are skipped, and
 * the rest is merged from the back into the grown array, without building a new one: a rebuild does this for
 * every follow, with up to `cap` entries each.
 */
function insertAll(into: MemoryFeed, entries: readonly FeedEntry[], cap: number): void {
  const feed = into.entries;
  const first = entries[0] as FeedEntry;
  // An empty feed's newest value is -Infinity.
  if (into.newestValue < first.value || (into.newestValue === first.value && into.newestId < first.id)) {
    for (const entry of entries) feed.push(entry);
    const newest = entries[entries.length - 1] as FeedEntry;
    into.newestValue = newest.value;
    into.newestId = newest.id;
    if (feed.length >= 2 * cap || into.start >= cap) compact(into, cap);
    return;
  }
  compact(into, cap);
  let from = Math.max(0, entries.length - cap);
  const oldest = feed[0] as FeedEntry;
  // A full feed takes nothing older than its oldest entry: found by bisection, since a follow often brings
  // hundreds of posts of which most are older.
  if (feed.length >= cap) from = feedBound(entries, oldest, from);
  if (from === entries.length) return;
  let i = feed.length - 1;
  let j = entries.length - 1;
  let k = feed.length + entries.length - from - 1;
  const values = syncedValues(into, k + 1);
  for (let grow = entries.length - from; grow > 0; grow--) feed.push(oldest);
  into.synced = feed.length;
  let b = entries[j] as FeedEntry;
  let bValue = b.value;
  for (;;) {
    // The feed's entry at i against the incoming b: on values, and on ids (which need the entry) only for a tie.
    const aValue = i >= 0 ? (values[i] as number) : Number.NEGATIVE_INFINITY;
    const order =
      aValue !== bValue ? (aValue < bValue ? -1 : 1) : i < 0 ? -1 : compareKeys(feed[i] as FeedEntry, b);
    if (order >= 0) {
      values[k] = aValue;
      feed[k--] = feed[i--] as FeedEntry;
      if (order === 0 && --j < from) break;
    } else {
      values[k] = bValue;
      feed[k--] = b;
      if (--j < from) break;
    }
    if (order <= 0) {
      b = entries[j] as FeedEntry;
      bValue = b.value;
    }
  }
  // Posts already in the feed left as many unused slots between the untouched front and the merged back.
  if (k > i) cut(into, i + 1, k - i);
  if (feed.length > cap) cut(into, 0, feed.length - cap);
  noteNewest(into);
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
  const documents = new MemoryDocumentStore();
  return {
    documents,
    feeds: new MemoryFeedStore(options.feedCap ?? 800),
    liked: new LikedPostsFromEdges(documents),
    checkpoint: new MemoryCheckpoint(),
  };
}
