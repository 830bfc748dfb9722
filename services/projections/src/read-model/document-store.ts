/**
 * The port every read model is written through: a small document store with exactly the operations the
 * projection handlers and the queries need, so that MongoDB (FerretDB 1.x included) and memory implement it
 * with the same meaning. Only equality filters, single-field sorts with an `id` tie-break, and updates by
 * `_id` or by an equality filter: no joins, no aggregation, no positional updates, no transactions.
 */

export const collections = ['users', 'posts', 'comments', 'replies', 'likes', 'follows'] as const;
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

export interface Sort {
  field: string;
  /** 1 ascending, -1 descending; ties are broken by `id` in the same direction */
  order: 1 | -1;
}

/** Keyset position: the (sort value, id) of the last item of the previous page, exclusive. */
export interface Position {
  value: number;
  id: string;
}

/** The fields of every collection the queries filter on, i.e. the indexes each adapter keeps. */
export const indexedFields: Record<CollectionName, readonly string[]> = {
  users: ['userNameKey'],
  posts: ['authorId'],
  comments: ['postId', 'authorId'],
  replies: ['commentId', 'authorId'],
  likes: ['postId', 'userId'],
  follows: ['followerId', 'followeeId'],
};

export interface DocumentStore {
  /** the document, or with `fields` only those fields of it (and `id`, `rev`) */
  get(collection: CollectionName, id: string, fields?: readonly string[]): Promise<Doc | undefined>;
  /** the documents that exist among `ids`, in no particular order */
  getMany(collection: CollectionName, ids: readonly string[]): Promise<Doc[]>;
  findOne(collection: CollectionName, filter: Filter): Promise<Doc | undefined>;
  /**
   * every matching document (for handlers reconciling after a change: one author's posts, one user's edges);
   * with `fields`, only those fields (and `id`) of each, which is all a reconcile usually needs
   */
  findAll(collection: CollectionName, filter: Filter, fields?: readonly string[]): Promise<Doc[]>;
  page(
    collection: CollectionName,
    filter: Filter,
    sort: Sort,
    after: Position | undefined,
    limit: number,
    fields?: readonly string[],
  ): Promise<Doc[]>;
  count(collection: CollectionName, filter: Filter): Promise<number>;
  /**
   * Sets `fields` and `rev` when the stored revision is below `rev` (or there is no document): the one write
   * of a stream's own document, so a redelivered or late event changes nothing. Answers whether it applied.
   */
  applyRevision(
    collection: CollectionName,
    id: string,
    rev: number,
    fields: Record<string, unknown>,
  ): Promise<boolean>;
  /** Sets derived fields (counts, flags) unconditionally, creating a placeholder (`rev` -1) when absent. */
  setFields(collection: CollectionName, id: string, fields: Record<string, unknown>): Promise<void>;
  /** Sets `fields` on every document matching `filter` (flags derived from another stream, e.g. a deletion). */
  updateMany(collection: CollectionName, filter: Filter, fields: Record<string, unknown>): Promise<void>;
}

/** One entry of a home feed: a post and its sort key (the post's creation time in ms). */
export interface FeedEntry {
  postId: string;
  score: number;
}

/**
 * Home feeds as capped sorted sets (Redis ZSETs; sorted arrays in memory): newest first, ties by post id
 * descending, at most `cap` entries per user (the oldest fall off).
 */
export interface FeedStore {
  add(userIds: readonly string[], entries: readonly FeedEntry[]): Promise<void>;
  /** Takes the posts out; an entry's score must be its post's sort key, as when it was added. */
  remove(userIds: readonly string[], entries: readonly FeedEntry[]): Promise<void>;
  drop(userId: string): Promise<void>;
  /** up to `limit` entries strictly after `after` in feed order */
  page(userId: string, after: Position | undefined, limit: number): Promise<FeedEntry[]>;
}

/** Where the projection stands: the highest global position applied, for read-your-writes and the rebuild. */
export interface CheckpointStore {
  position(): Promise<number>;
  /** records `position` when it is above the stored one */
  advance(position: number): Promise<void>;
}

/** One generation of the read models: documents, feeds and the checkpoint, written and read together. */
export interface ReadModelStore {
  readonly documents: DocumentStore;
  readonly feeds: FeedStore;
  readonly checkpoint: CheckpointStore;
}
