import type { PostRankings } from './rankings.js';
import type { SearchIndex } from './search-index.js';

/**
 * The port every read model is written through: a small document store with exactly the operations the
 * projection handlers and the queries need, so that MongoDB (FerretDB 1.x included) and memory implement it
 * with the same meaning. Only equality filters, single-field sorts with an `id` tie-break, and updates by
 * `_id` or by an equality filter: no joins, no aggregation, no positional updates, no transactions.
 */

export const collections = [
  'users',
  'posts',
  'comments',
  'replies',
  'likes',
  'follows',
  'mutes',
  'blocks',
  'tagged',
  'explorable',
] as const;
export type CollectionName = (typeof collections)[number];

/**
 * A read-model document. `rev` is the revision of the document's own stream that was last applied (-1 for a
 * placeholder holding only derived fields, written before its stream's first event arrived).
 */
export interface Doc {
  id: string;
  rev: number;
  [field: string]: unknown;
}

export type FieldValue = string | number | boolean;
/** Every field equal to its value. A missing field equals nothing (as in MongoDB): writers set flags explicitly. */
export type Filter = Readonly<Record<string, FieldValue>>;

/** Whether `doc` matches `filter` as every store answers it (verify counts the log's documents with it). */
export function matchesFilter(doc: Readonly<Record<string, unknown>>, filter: Filter): boolean {
  for (const field in filter) if (doc[field] !== filter[field]) return false;
  return true;
}

/**
 * A count one read model keeps on the documents of another (a post's likesCount, a user's followersCount): the
 * number of `counted` documents matching `filter(id)`, kept as `field` of the document `id` of `collection`.
 * `key` is the field of a counted document that names the document it counts for.
 *
 * Counts are exact incremental folds, never recounts: every write of a counted document moves each of its
 * counters by the change in whether the document matches the counter's filter (-1, 0 or +1), in the same atomic
 * step as the write, and each store says why that step is atomic. A write that changes nothing (a redelivered
 * event, stopped by the revision guard; a flag set again) moves nothing, so at least once delivery counts once.
 * Verify recounts from the event log with the very same filters (verify/recount.ts).
 */
export interface Counter {
  readonly collection: CollectionName;
  readonly field: string;
  readonly counted: CollectionName;
  readonly key: string;
  readonly filter: (id: string) => Filter;
  /**
   * The flags of the filter that say an account the counted document names is deleted (flag → the field naming
   * the account, `userDeleted` → `userId`). A handler sets them from the account as it read it; a store whose
   * writers run side by side (MongoDB + Redis) also reads the account's status within the counting step, so a
   * deletion applied between the handler's read and its write still counts (see mongo-redis.ts).
   */
  readonly accountFlags?: Readonly<Record<string, string>>;
}

/**
 * A list the handlers and queries read: the documents of `collection` matching `filter(id)`, ordered by `at` and
 * then `id` (every page of the API is such a list, and so is every set of documents a handler reconciles).
 * `key` is the field naming whose list a document is in; the filter's other fields say which of them belong.
 * Every counter's documents are such a list (a post's likers, an account's followers); read models declare the
 * others. A store may keep each list as an index moved with the writes, as counts are (the distributed store
 * keeps them in Redis, see store/redis/indexes.ts); the memory store answers any filter from its own indexes.
 */
export interface SortedList {
  /** names the list among the store's keys */
  readonly name: string;
  readonly collection: CollectionName;
  readonly key: string;
  readonly filter: (id: string) => Filter;
}

/** The list of each counter's documents (named by its field), then `declared`. */
export function listsOf(counters: readonly Counter[], declared: readonly SortedList[]): SortedList[] {
  return [
    ...counters.map(({ field, counted, key, filter }) => ({ name: field, collection: counted, key, filter })),
    ...declared,
  ];
}

/** The list whose filter is `filter`: the same fields with the same values, its key's value naming the list. */
export function listFor(
  lists: readonly SortedList[],
  collection: CollectionName,
  filter: Filter,
): { list: SortedList; id: string } | undefined {
  for (const list of lists) {
    if (list.collection !== collection) continue;
    const id = filter[list.key];
    if (typeof id !== 'string') continue;
    const wanted = list.filter(id);
    const fields = Object.keys(filter);
    if (fields.length === Object.keys(wanted).length && matchesFilter(wanted, filter)) return { list, id };
  }
  return undefined;
}

/** The fields of a counted document that decide whether it counts: those its counters' filters read. */
export function countedFields(counters: readonly Pick<Counter, 'filter'>[]): string[] {
  return [...new Set(counters.flatMap((counter) => Object.keys(counter.filter(''))))];
}

/** The counters that count the documents of `collection`. */
export function countersOf(counters: readonly Counter[], collection: CollectionName): Counter[] {
  return counters.filter((counter) => counter.counted === collection);
}

export interface Sort {
  field: string;
  /** 1 ascending, -1 descending; ties are broken by `id` in the same direction */
  order: 1 | -1;
}

/** Keyset position: the (sort value, id) of the last item of the previous page, exclusive. */
export interface Position {
  readonly value: number;
  readonly id: string;
}

/** The fields of every collection the queries filter on, i.e. the indexes each adapter keeps. */
export const indexedFields: Record<CollectionName, readonly string[]> = {
  users: ['userNameKey'],
  posts: ['authorId'],
  comments: ['postId', 'authorId'],
  replies: ['commentId', 'authorId'],
  likes: ['postId', 'userId'],
  follows: ['followerId', 'followeeId'],
  mutes: ['muterId', 'mutedId'],
  blocks: ['blockerId', 'blockedId'],
  tagged: ['tag', 'postId', 'authorId'],
  explorable: ['scope', 'authorId'],
};

export interface DocumentStore {
  /**
   * The document; with `fields`, a read-only view holding at least those fields (and `id`, `rev`), which is
   * what a handler reads to decide. A store may answer a view with its own document (memory does: a rebuild
   * reads one per event, and a copy each was a twelfth of its time), so a view is never written to or kept.
   */
  get(collection: CollectionName, id: string, fields?: readonly string[]): Promise<Readonly<Doc> | undefined>;
  /**
   * the documents that exist among `ids`, in no particular order; with `fields`, each a read-only view holding
   * at least those fields (and `id`, `rev`), as `get` answers it (never written to or kept): what a query
   * ranking many candidates reads, to load whole only those it shows
   */
  getMany(
    collection: CollectionName,
    ids: readonly string[],
    fields?: readonly string[],
  ): Promise<Readonly<Doc>[]>;
  findOne(collection: CollectionName, filter: Filter): Promise<Doc | undefined>;
  /**
   * every matching document (for handlers reconciling after a change: one author's posts, one user's edges);
   * with `fields`, only those fields (and `id`) of each, which is all a reconcile usually needs
   */
  findAll(collection: CollectionName, filter: Filter, fields?: readonly string[]): Promise<Doc[]>;
  /** the value of `field` in every matching document, in no particular order (a reconcile's ids, say) */
  values(collection: CollectionName, filter: Filter, field: string): Promise<unknown[]>;
  page(
    collection: CollectionName,
    filter: Filter,
    sort: Sort,
    after: Position | undefined,
    limit: number,
    fields?: readonly string[],
  ): Promise<Doc[]>;
  /**
   * The (sort value, id) keys of the page `page` would answer, without the documents: what a handler needs to
   * move posts in or out of feeds. Keys handed out are never changed afterwards, so a store may share them.
   */
  pageKeys(
    collection: CollectionName,
    filter: Filter,
    sort: Sort,
    after: Position | undefined,
    limit: number,
  ): Promise<readonly Position[]>;
  count(collection: CollectionName, filter: Filter): Promise<number>;
  /**
   * Sets `fields` and `rev` when the stored revision is below `rev` (or there is no document): the one write
   * of a stream's own document, so a redelivered or late event changes nothing. Answers whether it applied.
   * A counted document's write moves its counters with it (see Counter): the store was given them.
   */
  applyRevision(
    collection: CollectionName,
    id: string,
    rev: number,
    fields: Record<string, unknown>,
  ): Promise<boolean>;
  /**
   * Sets derived fields (flags) unconditionally, creating a placeholder (`rev` -1) when absent. Never a count:
   * counts move only with the writes of what they count.
   */
  setFields(collection: CollectionName, id: string, fields: Record<string, unknown>): Promise<void>;
  /**
   * Sets `fields` on every document matching `filter` (flags derived from another stream, e.g. a deletion),
   * moving the counters of each document whose match changes, as applyRevision does.
   */
  updateMany(collection: CollectionName, filter: Filter, fields: Record<string, unknown>): Promise<void>;
  /**
   * Where a store keeps documents twice (MongoDB, and Redis for the hot ones), the reads of each copy alone, so
   * that verify checks every copy a query may be answered from.
   */
  readonly copies?: Readonly<Record<string, Pick<DocumentStore, 'getMany'>>>;
}

/**
 * One entry of a home feed: a post (`id`) and its sort key (`value`, the post's creation time in ms, the score
 * in Redis). The very keys a posts page answers (pageKeys sorted on `at`): a handler moves them into feeds as
 * they are. Entries are values: a store may keep the very objects it was given, and share one between many
 * feeds (and with its indexes).
 */
export type FeedEntry = Position;

/** Entries a home feed keeps unless told otherwise (FEED_CAP): what a follow pulls in and a feed read pages over. */
export const defaultFeedCap = 800;

/** A follower of a hot author, and since when (the follow's time in ms): the order of merged authors. */
export interface MergingFollower {
  readonly userId: string;
  readonly at: number;
}

/**
 * Home feeds as capped sorted sets (Redis ZSETs; sorted arrays in memory): newest first, ties by post id
 * descending, at most `cap` entries per user (the oldest fall off). Beside each feed, the hot authors the user
 * follows, whose posts are never fanned out but merged in at read time.
 */
export interface FeedStore {
  add(userIds: readonly string[], entries: readonly FeedEntry[]): Promise<void>;
  /** Takes the posts out; an entry's score must be its post's sort key, as when it was added. */
  remove(userIds: readonly string[], entries: readonly FeedEntry[]): Promise<void>;
  /** how many entries the user's feed holds (at most the cap) */
  size(userId: string): Promise<number>;
  /** Drops the user's feed and merged authors. */
  drop(userId: string): Promise<void>;
  /** up to `limit` entries strictly after `after` in feed order */
  page(userId: string, after: Position | undefined, limit: number): Promise<FeedEntry[]>;
  /** Merges `authorId`'s posts into each follower's feed at read time, ordered by the follow's time. */
  mergeAuthor(authorId: string, followers: readonly MergingFollower[]): Promise<void>;
  unmergeAuthor(authorId: string, userIds: readonly string[]): Promise<void>;
  /** the authors merged into `userId`'s feed, most recently followed first (ties by id descending), at most `limit` */
  mergedAuthors(userId: string, limit: number): Promise<string[]>;
}

/** What a user liked among some posts (likedByMe), read apart from the like edges where a store keeps it hot. */
export interface LikedPosts {
  /** the posts among `postIds` that `userId` likes now */
  among(userId: string, postIds: readonly string[]): Promise<Set<string>>;
}

/**
 * The rankings a client has paged through, frozen (see queries/ranked.ts): each snapshot holds, in order, the
 * ids a paging has been given or is about to be, under an id its cursors name. Kept a while
 * (rankingSnapshotTtlSeconds) and then forgotten: a client that comes back later starts again from the first
 * page.
 */
export interface RankingSnapshots {
  /** keeps `ids` (at least one) in this order, under a new id */
  save(ids: readonly string[]): Promise<string>;
  /** the ids at [offset, offset + limit) of the snapshot, or undefined when it is forgotten (or never was) */
  slice(snapshotId: string, offset: number, limit: number): Promise<string[] | undefined>;
  /**
   * Appends `ids` to the snapshot if it holds exactly `length` ids, in one step; answers whether it did (not
   * when another request extended it first, or it is forgotten).
   */
  extend(snapshotId: string, length: number, ids: readonly string[]): Promise<boolean>;
}

/** How long a frozen ranking is kept: ample for a client paging through it, short enough to stay small. */
export const rankingSnapshotTtlSeconds = 15 * 60;

/** Where the projection stands: the highest global position applied, for read-your-writes and the rebuild. */
export interface CheckpointStore {
  position(): Promise<number>;
  /** records `position` when it is above the stored one */
  advance(position: number): Promise<void>;
}

/** One generation of the read models: documents, feeds, search and the checkpoint, written and read together. */
export interface ReadModelStore {
  readonly documents: DocumentStore;
  readonly feeds: FeedStore;
  readonly search: SearchIndex;
  /** answered from the like edges as written through `documents` (never written on its own) */
  readonly liked: LikedPosts;
  readonly snapshots: RankingSnapshots;
  readonly rankings: PostRankings;
  readonly checkpoint: CheckpointStore;
}
