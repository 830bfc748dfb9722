import type { NotificationAbout } from './actors.js';
import type {
  AccountDoc,
  CommentDoc,
  EdgeDoc,
  MarkDoc,
  NotificationDoc,
  PostDoc,
  ReplyDoc,
} from './documents.js';

/** What an update did: the document before and after (undefined: absent). Equal when nothing changed. */
export interface Updated<T> {
  before: T | undefined;
  after: T | undefined;
  changed: boolean;
}

/**
 * One kind of document, read and written by `_id` alone (a key-value store serves it). `update` applies a pure
 * change (one that never modifies the document it is given: the memory adapter gives the stored one) to the
 * document as stored, atomically: an adapter that other writers share retries the change on the
 * document as it then is (compare-and-set), so two events of different streams writing the same document (two
 * follows of one account, say) both land. A change that returns an equal document writes nothing.
 */
export interface KeyedDocuments<T extends { _id: string }> {
  get(id: string): Promise<T | undefined>;
  getMany(ids: readonly string[]): Promise<T[]>;
  update(id: string, change: (current: T | undefined) => T | undefined): Promise<Updated<T>>;
}

/** One kind of document, also found by the value of a field. */
export interface Documents<T extends { _id: string }> extends KeyedDocuments<T> {
  /** the documents whose `field` equals `value` (or, for an array field, holds it) */
  find(field: string, value: string): Promise<T[]>;
}

/** Where a page of an account's notifications starts: after this (updatedAt, _id), newest first. */
export interface NotificationPosition {
  updatedAt: string;
  id: string;
}

/** What taking an actor out of a notification did to it (NotificationDocuments.removeActor). */
export type ActorRemoval = 'unchanged' | 'changed' | 'removed';

export interface NotificationDocuments extends Documents<NotificationDoc> {
  /**
   * Puts `actor` at `at` into the notification `about._id` (made of `about` when there is none), or keeps the time
   * it has there with `keepTime` (see withActor); answers whether the notification changed. Apart from `update`
   * so that a store may change the notification where it is: a like on a post liked by thousands would otherwise
   * copy every one of them, on every like.
   */
  addActor(about: NotificationAbout, actor: string, at: string, keepTime: boolean): Promise<boolean>;
  /**
   * Takes `actor` out of the notification `id` (see withoutActor: the notification goes with its last actor);
   * answers whether it was `unchanged` (the actor was not there), `changed`, or `removed`. Apart from `update` for
   * the reason addActor is: an unlike of a post liked by thousands would otherwise copy every other like.
   */
  removeActor(id: string, actor: string): Promise<ActorRemoval>;
  /** the recipient's notifications, most recently updated first (then by id), after `after` */
  newestFirst(
    recipient: string,
    after: NotificationPosition | undefined,
    limit: number,
  ): Promise<NotificationDoc[]>;
  /** the recipient's notifications updated after `since` (all of them without it) */
  updatedAfter(recipient: string, since: string | undefined): Promise<NotificationDoc[]>;
}

/**
 * The read model's port: what notifications need kept, not what a database offers. Most kinds are read by id
 * alone (keyed ones, which any key-value store serves); replies, the follow, mute and block edges and the
 * notifications are also found by a field.
 */
export interface NotificationStore {
  accounts: KeyedDocuments<AccountDoc>;
  posts: KeyedDocuments<PostDoc>;
  comments: KeyedDocuments<CommentDoc>;
  replies: Documents<ReplyDoc>;
  /** the like streams' edges: by far the most edges, never looked up by account */
  likes: KeyedDocuments<EdgeDoc>;
  /** the follow, mute and block streams' edges */
  edges: Documents<EdgeDoc>;
  marks: KeyedDocuments<MarkDoc>;
  notifications: NotificationDocuments;
}
