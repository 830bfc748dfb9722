import { isDeepStrictEqual } from 'node:util';
import {
  actorTime,
  latest,
  type NotificationAbout,
  placeOf,
  updatedAfter,
  withActor,
  withoutActor,
} from './actors.js';
import type { NotificationDoc } from './documents.js';
import { isAfter } from './newest-first.js';
import type {
  ActorRemoval,
  Documents,
  NotificationDocuments,
  NotificationPosition,
  NotificationStore,
  Updated,
} from './port.js';
import { withoutUndefined } from './without-undefined.js';

/**
 * Documents in a Map: the embedded mode's store, rebuilt from the log at every start. The fields `find` looks up
 * are indexed (as redis-documents.ts indexes them in Redis), each index kept exact by every write, so a lookup reads the documents it
 * answers and no other: a comment, a deletion or an account's list would otherwise read every document of its kind,
 * and the start, which applies every event of the log, grow with the square of its comments and deletions.
 */
class MemoryDocuments<T extends { _id: string }> implements Documents<T> {
  /** field -> value (or, for an array field, each of its elements) -> the ids of the documents holding it */
  private readonly indexes = new Map<string, Map<unknown, Set<string>>>();

  constructor(
    protected readonly docs: Map<string, T>,
    indexed: readonly string[],
  ) {
    for (const field of indexed) this.indexes.set(field, new Map());
  }

  async get(id: string): Promise<T | undefined> {
    return this.docs.get(id);
  }

  async getMany(ids: readonly string[]): Promise<T[]> {
    const found: T[] = [];
    for (const id of ids) {
      const doc = this.docs.get(id);
      if (doc) found.push(doc);
    }
    return found;
  }

  // No await between the read and the write: one change at a time, as the other adapters' compare-and-set gives.
  // The change is handed the stored document itself, not a copy: a change is pure (KeyedDocuments.update), and a
  // copy costs as much as the document holds (a notification: every actor it has), on every change of it.
  async update(id: string, change: (current: T | undefined) => T | undefined): Promise<Updated<T>> {
    const before = this.docs.get(id);
    const changed = change(before);
    if (changed === before) return { before, after: before, changed: false };
    const after = withoutUndefined(changed);
    if (!(before && after && differAtTop(before, after)) && isDeepStrictEqual(before, after))
      return { before, after: before, changed: false };
    if (after === undefined) this.docs.delete(id);
    else this.docs.set(id, after);
    for (const field of this.indexes.keys()) {
      const was = before?.[field as keyof T];
      const is = after?.[field as keyof T];
      if (was === is) continue;
      const [held, holds] = [heldValues(was), heldValues(is)];
      for (const value of held) if (!holds.has(value)) this.unindexed(field, value, id);
      for (const value of holds) if (!held.has(value)) this.indexed(field, value, id);
    }
    this.replaced(before, after);
    return { before, after, changed: true };
  }

  /**
   * `before` (a change is pure: as it was) is now `after` (undefined: absent), for what a subclass keeps beside
   * the indexes. Called before `update` returns, with no await since the write: a change that awaited here would
   * let another change in between read the documents and what is kept beside them at odds.
   */
  protected replaced(_before: T | undefined, _after: T | undefined): void {}

  /** the documents whose indexed `field` holds `value`; a field not indexed is a mistake of the caller */
  async find(field: string, value: string): Promise<T[]> {
    const index = this.indexes.get(field);
    if (index === undefined) throw new Error(`the memory store indexes no ${field} of these documents`);
    return [...(index.get(value) ?? [])].map((id) => this.docs.get(id) as T);
  }

  /** `id` now holds `value` in `field`: for a change made in place, which `update` does not see */
  protected indexed(field: string, value: unknown, id: string): void {
    const index = this.indexes.get(field);
    if (index === undefined) return;
    const ids = index.get(value);
    if (ids) ids.add(id);
    else index.set(value, new Set([id]));
  }

  /** `id` no longer holds `value` in `field`: for a change made in place, which `update` does not see */
  protected unindexed(field: string, value: unknown, id: string): void {
    const index = this.indexes.get(field) as Map<unknown, Set<string>>;
    const ids = index.get(value);
    ids?.delete(id);
    if (ids?.size === 0) index.delete(value);
  }
}

/** What a field holds, as its index keys it: each element of an array, a value alone, nothing when absent. */
function heldValues(held: unknown): Set<unknown> {
  if (held === undefined) return new Set();
  return new Set(Array.isArray(held) ? held : [held]);
}

/**
 * Whether a field of `a` tells the two documents apart at a glance: a different scalar, or lists of different
 * lengths. isDeepStrictEqual would look through the actors of a notification, one by one, to find the one an
 * unlike took out.
 */
function differAtTop(a: object, b: object): boolean {
  for (const [field, x] of Object.entries(a)) {
    const y = (b as Record<string, unknown>)[field];
    if (Object.is(x, y)) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return true;
    if (Array.isArray(x) && Array.isArray(y) && x.length !== y.length) return true;
  }
  return false;
}

class MemoryNotifications extends MemoryDocuments<NotificationDoc> implements NotificationDocuments {
  /**
   * Each recipient's notifications in the order they are listed (newestFirst), kept so by every write: a page is
   * found by a binary search and read as a slice. Sorting every notification of the recipient at each read made a
   * page cost as much as the account has notifications (thousands, for a popular one), on every request.
   */
  private readonly listed = new Map<string, NotificationDoc[]>();

  protected override replaced(before: NotificationDoc | undefined, after: NotificationDoc | undefined): void {
    if (before) this.unlist(before, before.updatedAt);
    if (after) this.list(after);
  }

  /**
   * A notification already about the same is changed where it is: its actors gain one, its sorted ids take it in
   * their place. A copy would cost every actor it has, on every like (the embedded start folds every like of the
   * log), and its documents are only ever read, one step at a time, by this process.
   */
  async addActor(about: NotificationAbout, actor: string, at: string, keepTime: boolean): Promise<boolean> {
    const current = this.docs.get(about._id);
    if (current === undefined || !isAbout(current, about))
      return (await this.update(about._id, (doc) => withActor(doc, about, actor, at, keepTime))).changed;
    const { had, time } = actorTime(current, actor, at, keepTime);
    if (had === time) return false;
    current.actors[actor] = time;
    if (had === undefined) {
      current.actorIds.splice(placeOf(current.actorIds, actor), 0, actor);
      this.indexed('actorIds', actor, current._id);
    }
    if (time < current.createdAt) current.createdAt = time;
    const updatedAt = updatedAfter(current, had, time, current.actors);
    if (updatedAt !== current.updatedAt) {
      // Out of the list while its time changes: the list's binary search reads it.
      this.unlist(current, current.updatedAt);
      current.updatedAt = updatedAt;
      this.list(current);
    }
    return true;
  }

  /** Its last actor's removal takes the notification away (update); any other is made in place, as addActor's. */
  async removeActor(id: string, actor: string): Promise<ActorRemoval> {
    const current = this.docs.get(id);
    if (current === undefined || !(actor in current.actors)) return 'unchanged';
    if (current.actorIds.length === 1) {
      await this.update(id, (doc) => withoutActor(doc, actor));
      return 'removed';
    }
    const removed = current.actors[actor];
    delete current.actors[actor];
    current.actorIds.splice(placeOf(current.actorIds, actor), 1);
    this.unindexed('actorIds', actor, id);
    if (removed === current.updatedAt) {
      const updatedAt = latest(current.actors);
      if (updatedAt !== current.updatedAt) {
        this.unlist(current, current.updatedAt);
        current.updatedAt = updatedAt;
        this.list(current);
      }
    }
    return 'changed';
  }

  async newestFirst(
    recipient: string,
    after: NotificationPosition | undefined,
    limit: number,
  ): Promise<NotificationDoc[]> {
    const listed = this.listed.get(recipient) ?? [];
    const start = after === undefined ? 0 : firstAfter(listed, after);
    return listed.slice(start, start + limit);
  }

  async updatedAfter(recipient: string, since: string | undefined): Promise<NotificationDoc[]> {
    const listed = this.listed.get(recipient) ?? [];
    if (since === undefined) return [...listed];
    // Those updated at `since` come before a position there with an id greater than any: the list ends there.
    return listed.slice(0, firstAfter(listed, { updatedAt: since, id: '\uffff' }));
  }

  private list(doc: NotificationDoc): void {
    const listed = this.listed.get(doc.recipient);
    if (listed === undefined) this.listed.set(doc.recipient, [doc]);
    else listed.splice(firstAfter(listed, { updatedAt: doc.updatedAt, id: doc._id }), 0, doc);
  }

  /** Takes `doc` out of its recipient's list, where it was listed updated at `listedAt`. */
  private unlist(doc: NotificationDoc, listedAt: string): void {
    const listed = this.listed.get(doc.recipient);
    if (listed === undefined) return;
    // The first one listed at or after its place is it: ids are unique.
    const at = firstAfter(listed, { updatedAt: listedAt, id: doc._id }) - 1;
    if (listed[at]?._id !== doc._id) throw new Error(`notification ${doc._id} is not where it is listed`);
    listed.splice(at, 1);
    if (listed.length === 0) this.listed.delete(doc.recipient);
  }
}

/**
 * Where the documents after `position` begin in `listed` (in newestFirst's order): the index of the first one
 * after it, or the length when none is. The one at `position` itself, if listed, is just before that index.
 */
function firstAfter(listed: readonly NotificationDoc[], position: NotificationPosition): number {
  let low = 0;
  let high = listed.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (isAfter(listed[mid] as NotificationDoc, position)) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** Whether `doc` is about what `about` says, every field of it: then only its actors may change. */
function isAbout(doc: NotificationDoc, about: NotificationAbout): boolean {
  const fields = Object.keys(about) as (keyof NotificationAbout)[];
  const held = Object.keys(doc).length - 4; // its actors, their ids, created and updated times
  return held === fields.length && fields.every((field) => doc[field] === about[field]);
}

/**
 * `documents` makes the map each kind of document is kept in: a test counts through it the documents a lookup
 * reads.
 */
export function memoryNotificationStore(
  documents: <T>() => Map<string, T> = () => new Map(),
): NotificationStore {
  return {
    accounts: new MemoryDocuments(documents(), []),
    posts: new MemoryDocuments(documents(), []),
    comments: new MemoryDocuments(documents(), []),
    replies: new MemoryDocuments(documents(), ['commentId']),
    likes: new MemoryDocuments(documents(), []),
    edges: new MemoryDocuments(documents(), ['from', 'to']),
    marks: new MemoryDocuments(documents(), []),
    notifications: new MemoryNotifications(documents(), [
      'recipient',
      'actorIds',
      'postId',
      'postAuthorId',
      'commentId',
      'replyId',
    ]),
  };
}
