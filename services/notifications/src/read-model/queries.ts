import { streamIds } from '@gram/events';
import { HttpProblem } from '@gram/service-kit';
import type { NotificationChanges } from '../changes.js';
import type { AccountDoc, NotificationDoc, NotificationType } from '../store/documents.js';
import type { NotificationPosition, NotificationStore } from '../store/port.js';
import { isRead } from './projector.js';

/** A notification as API.md shows it. */
export interface NotificationView {
  id: string;
  type: NotificationType;
  actors: { id: string; userName: string; name: string; profilePic: string }[];
  actorCount: number;
  post?: { id: string; photo: string };
  comment?: { id: string; text: string };
  createdAt: string;
  updatedAt: string;
  read: boolean;
}

/** What one account may see, read once per request: whom it mutes, whom it is in a block with, its marker. */
export interface Viewer {
  id: string;
  hidden: Set<string>;
  blocked: Set<string>;
  readUpTo: string | undefined;
}

const shownActors = 3;

/**
 * Where a read marker that moved is also recorded, to outlive the process: the embedded mode's, whose store is in
 * memory. Recorded before `POST /notifications/read` answers.
 */
export interface ReadMarkerLog {
  record(accountId: string, readUpTo: string): Promise<void>;
}

/** Moves the account's read marker up to `mark`, never back; whether it moved. */
export async function moveReadMarker(
  store: NotificationStore,
  accountId: string,
  mark: string,
): Promise<boolean> {
  const { changed } = await store.marks.update(accountId, (current) =>
    current?.readUpTo !== undefined && current.readUpTo >= mark
      ? current
      : { ...(current ?? { _id: accountId }), readUpTo: mark },
  );
  return changed;
}

export class UnknownNotification extends Error {
  override readonly name = 'UnknownNotification';
}

/**
 * The queries of API.md "Notifications", and the filters that decide what an account sees, applied here, on what
 * is stored, so that they follow the relations as they stand: no actor it muted or is in a block with (a
 * notification none of whose actors is left is not shown), no deleted account, nothing about a post it may not
 * read (deleted, not known yet, or of a private account it does not follow, or of an account in a block with it).
 */
export class NotificationQueries {
  constructor(
    private readonly store: NotificationStore,
    private readonly changes: NotificationChanges = { publish() {} },
    private readonly now: () => Date = () => new Date(),
    private readonly readMarkers?: ReadMarkerLog,
  ) {}

  async isDeletedAccount(accountId: string): Promise<boolean> {
    return (await this.store.accounts.get(accountId))?.deleted === true;
  }

  /** Most recently updated first; a page is filled past the notifications the viewer does not see. */
  async page(
    accountId: string,
    request: { limit: number; cursor?: string },
  ): Promise<{ items: NotificationView[]; nextCursor: string | null }> {
    const viewer = await this.viewer(accountId);
    const items: NotificationView[] = [];
    let position = decodeCursor(request.cursor);
    const batch = request.limit + 1;
    for (;;) {
      const docs = await this.store.notifications.newestFirst(accountId, position, batch);
      for (const view of await this.views(docs, viewer)) {
        if (!view) continue;
        if (items.length === request.limit) {
          const last = items[items.length - 1] as NotificationView;
          return { items, nextCursor: encodeCursor({ updatedAt: last.updatedAt, id: last.id }) };
        }
        items.push(view);
      }
      if (docs.length < batch) return { items, nextCursor: null };
      const last = docs[docs.length - 1] as NotificationDoc;
      position = { updatedAt: last.updatedAt, id: last._id };
    }
  }

  /** The unread notifications the viewer sees, counted from what is stored: it cannot drift. */
  async unreadCount(accountId: string): Promise<number> {
    return this.countUnread(await this.viewer(accountId));
  }

  /**
   * What the live stream sends after changes: the notifications of `ids` the account sees now (as `several`),
   * and with `recount` the ids of every unread one it sees (those `unreadCount` counts), from one reading of the
   * account's relations and marker, answered as `viewer`.
   *
   * Without `recount`, the stream may give back the `viewer` of its previous call, and the relations and marker
   * are not read again: they change only by a mute, a block or a marker's move, and each of those tells the
   * account's streams `unread-count` once written (the projector's `relation`, `markRead`), on which a stream
   * recounts. A like then costs the author's stream its notification's read alone, not three reads more.
   */
  async forStream(
    accountId: string,
    ids: readonly string[],
    recount: boolean,
    known?: Viewer,
  ): Promise<{ views: NotificationView[]; unread: string[] | undefined; viewer: Viewer }> {
    const viewer = !recount && known?.id === accountId ? known : await this.viewer(accountId);
    const [views, unread] = await Promise.all([
      this.visible(accountId, ids, viewer),
      recount ? this.unreadIds(viewer) : undefined,
    ]);
    return { views, unread, viewer };
  }

  private async countUnread(viewer: Viewer): Promise<number> {
    return (await this.unreadIds(viewer)).length;
  }

  private async unreadIds(viewer: Viewer): Promise<string[]> {
    const unread = await this.store.notifications.updatedAfter(viewer.id, viewer.readUpTo);
    // In one go: an account may have many unread.
    const views = await this.views(unread, viewer);
    return views.flatMap((view) => (view && !view.read ? [view.id] : []));
  }

  /** One notification as the account sees it now: undefined when it is gone, not the account's, or not shown to it. */
  async one(accountId: string, notificationId: string): Promise<NotificationView | undefined> {
    const [view] = await this.several(accountId, [notificationId]);
    return view;
  }

  /** The notifications of `ids` the account sees now (those gone, not its own or not shown to it left out). */
  async several(accountId: string, ids: readonly string[]): Promise<NotificationView[]> {
    return this.visible(accountId, ids, await this.viewer(accountId));
  }

  private async visible(
    accountId: string,
    ids: readonly string[],
    viewer: Viewer,
  ): Promise<NotificationView[]> {
    if (ids.length === 0) return [];
    const docs = await this.store.notifications.getMany(ids);
    const views = await this.views(
      docs.filter((doc) => doc.recipient === accountId),
      viewer,
    );
    return views.filter((view) => view !== undefined);
  }

  /**
   * What a stream resumed after `after` missed: the notifications the account sees that come before it in the
   * list (updated later, then by id), the newest `limit` of them, oldest first.
   */
  async updatedSince(
    accountId: string,
    after: NotificationPosition,
    limit: number,
  ): Promise<NotificationView[]> {
    const viewer = await this.viewer(accountId);
    const missed: NotificationView[] = [];
    let position: NotificationPosition | undefined;
    for (;;) {
      const docs = await this.store.notifications.newestFirst(accountId, position, limit);
      const newer = docs.filter(
        (doc) => doc.updatedAt > after.updatedAt || (doc.updatedAt === after.updatedAt && doc._id > after.id),
      );
      for (const view of await this.views(newer, viewer)) {
        if (view) missed.push(view);
        if (missed.length === limit) return missed.reverse();
      }
      if (newer.length < docs.length) return missed.reverse();
      if (docs.length < limit) return missed.reverse();
      const last = docs[docs.length - 1] as NotificationDoc;
      position = { updatedAt: last.updatedAt, id: last._id };
    }
  }

  /**
   * Marks read every notification updated at or before `upTo` (one of the account's), or every one when absent;
   * a marker never moves back. UnknownNotification for an id that is not one of the account's.
   */
  async markRead(accountId: string, upTo: string | undefined): Promise<void> {
    let mark: string;
    if (upTo !== undefined) {
      const doc = await this.store.notifications.get(upTo.toLowerCase());
      if (!doc || doc.recipient !== accountId)
        throw new UnknownNotification(`no notification ${upTo} of yours`);
      mark = doc.updatedAt;
    } else {
      const [newest] = await this.store.notifications.newestFirst(accountId, undefined, 1);
      const now = this.now().toISOString();
      // Now, or the newest notification's time if a clock ahead of ours stamped it later.
      mark = newest && newest.updatedAt > now ? newest.updatedAt : now;
    }
    if (!(await moveReadMarker(this.store, accountId, mark))) return;
    await this.readMarkers?.record(accountId, mark);
    this.changes.publish(accountId, { type: 'unread-count' });
  }

  private async viewer(accountId: string): Promise<Viewer> {
    const [outgoing, incoming, mark] = await Promise.all([
      this.store.edges.find('from', accountId),
      this.store.edges.find('to', accountId),
      this.store.marks.get(accountId),
    ]);
    const blocked = new Set<string>();
    const hidden = new Set<string>();
    for (const edge of outgoing) {
      if (edge.state !== 'on') continue;
      if (edge.kind === 'mute') hidden.add(edge.to);
      if (edge.kind === 'block') blocked.add(edge.to);
    }
    for (const edge of incoming) {
      if (edge.kind === 'block' && edge.state === 'on') blocked.add(edge.from);
    }
    for (const id of blocked) hidden.add(id);
    return { id: accountId, hidden, blocked, readUpTo: mark?.readUpTo };
  }

  /**
   * Each notification as the viewer sees it, or undefined where it sees none of it. The documents every one of
   * them needs (the actors, the posts, the posts' authors and the viewer's follows of the private ones) are read
   * in one go: the live stream counts an account's unread notifications at every change, and a read per
   * notification made that count cost a round trip to the store for each unread one.
   */
  private async views(
    docs: readonly NotificationDoc[],
    viewer: Viewer,
  ): Promise<(NotificationView | undefined)[]> {
    if (docs.length === 0) return [];
    const actorsOf: string[][] = [];
    const accountIds = new Set<string>();
    // The authors whose posts the viewer reads only if they are live and public, or followed (see mayRead).
    const authors = new Set<string>();
    const postIds = new Set<string>();
    for (const doc of docs) {
      const actors = actorsNewestFirst(doc, viewer.hidden);
      actorsOf.push(actors);
      for (const actor of actors) accountIds.add(actor);
      const author = doc.postAuthorId;
      if (author !== undefined && author !== viewer.id && !viewer.blocked.has(author)) {
        authors.add(author);
        accountIds.add(author);
      }
      if (doc.postId !== undefined) postIds.add(doc.postId);
    }
    const [accountList, postList] = await Promise.all([
      this.store.accounts.getMany([...accountIds]),
      this.store.posts.getMany([...postIds]),
    ]);
    const accounts = byId(accountList);
    const posts = byId(postList);
    const privateAuthors = [...authors].filter((id) => accounts.get(id)?.isPrivate === true);
    const followed = new Set<string>();
    if (privateAuthors.length > 0) {
      const follows = await this.store.edges.getMany(
        privateAuthors.map((id) => streamIds.follow(viewer.id, id)),
      );
      for (const edge of follows) if (edge.state === 'following') followed.add(edge.to);
    }
    /** Whether the viewer may read the posts of `authorId`: its own, a live public account's, or one it follows. */
    const mayRead = (authorId: string): boolean => {
      if (authorId === viewer.id) return true;
      if (viewer.blocked.has(authorId)) return false;
      const author = accounts.get(authorId);
      if (!author || author.deleted) return false;
      return !author.isPrivate || followed.has(authorId);
    };
    return docs.map((doc, i): NotificationView | undefined => {
      const actors: AccountDoc[] = [];
      for (const id of actorsOf[i] as string[]) {
        const account = accounts.get(id);
        if (account && !account.deleted) actors.push(account);
      }
      if (actors.length === 0) return undefined;
      let post: NotificationView['post'];
      if (doc.postId !== undefined) {
        const stored = posts.get(doc.postId);
        if (!stored || stored.deleted) return undefined;
        if (doc.postAuthorId !== undefined && !mayRead(doc.postAuthorId)) return undefined;
        post = { id: stored._id, photo: stored.photo };
      }
      const commentId = doc.replyId ?? doc.commentId;
      const comment =
        commentId !== undefined && doc.text !== undefined ? { id: commentId, text: doc.text } : undefined;
      return view(doc, actors, post, comment, isRead(doc, viewer.readUpTo));
    });
  }
}

/**
 * The actors of `doc` the viewer sees (not those it mutes or is in a block with), newest first, then by id
 * descending. From the notification's sorted ids, with no array of entries made of its map of actors: with the
 * loops of `views` and the fields of `view` written out, the views of a page of 20 fell from ~65 to ~14 µs in a
 * hot loop.
 */
function actorsNewestFirst(doc: NotificationDoc, hidden: ReadonlySet<string>): string[] {
  const ids = hidden.size === 0 ? [...doc.actorIds] : doc.actorIds.filter((id) => !hidden.has(id));
  if (ids.length < 2) return ids;
  const { actors } = doc;
  return ids.sort((a, b) => {
    const [at, bt] = [actors[a] as string, actors[b] as string];
    return at === bt ? (a < b ? 1 : -1) : at < bt ? 1 : -1;
  });
}

function byId<T extends { _id: string }>(docs: readonly T[]): Map<string, T> {
  const found = new Map<string, T>();
  for (const doc of docs) found.set(doc._id, doc);
  return found;
}

/** The view, its fields in the order API.md lists them; `post` and `comment` only when it is about one. */
function view(
  doc: NotificationDoc,
  actors: readonly AccountDoc[],
  post: NotificationView['post'],
  comment: NotificationView['comment'],
  read: boolean,
): NotificationView {
  const shown = actors.slice(0, shownActors).map(summary);
  const { _id: id, type, createdAt, updatedAt } = doc;
  const actorCount = actors.length;
  // Written out rather than spread in, each view made in one go (see actorsNewestFirst).
  if (post && comment)
    return { id, type, actors: shown, actorCount, post, comment, createdAt, updatedAt, read };
  if (post) return { id, type, actors: shown, actorCount, post, createdAt, updatedAt, read };
  if (comment) return { id, type, actors: shown, actorCount, comment, createdAt, updatedAt, read };
  return { id, type, actors: shown, actorCount, createdAt, updatedAt, read };
}

function summary(account: AccountDoc): NotificationView['actors'][number] {
  return { id: account._id, userName: account.userName, name: account.name, profilePic: account.profilePic };
}

/** Opaque keyset cursors: the (updatedAt, id) of a page's last item, base64url JSON. */
function encodeCursor(position: NotificationPosition): string {
  return Buffer.from(JSON.stringify([position.updatedAt, position.id])).toString('base64url');
}

function decodeCursor(cursor: string | undefined): NotificationPosition | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((part) => typeof part === 'string')) {
      return { updatedAt: parsed[0] as string, id: parsed[1] as string };
    }
  } catch {
    // falls through to the 400 below
  }
  throw new HttpProblem(400, 'the cursor is malformed', {
    errors: [{ field: 'cursor', message: 'is not a cursor this API issued' }],
  });
}
