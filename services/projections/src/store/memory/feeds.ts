import type { FeedEntry, FeedStore, MergingFollower, Position } from '../document-store.js';
import { compareKeys, lowerBound } from '../ordering.js';

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
          const at = lowerBound(list, entry, feed.start);
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
      let at = (after ? lowerBound(list, after, oldest) : list.length) - 1;
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
  if (feed.length >= cap) from = lowerBound(entries, oldest, from);
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
