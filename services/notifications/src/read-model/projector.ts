import type { EventOfType } from '@gram/events';
import type { NotificationChanges } from '../changes.js';
import type {
  EdgeDoc,
  NotificationDoc,
  NotificationType,
  PostDoc,
  ReplyDoc,
  StreamDoc,
} from '../store/documents.js';
import type { NotificationStore } from '../store/port.js';
import { keys, notificationId } from './ids.js';

/** One event as the projector reads it: its personal fields already decrypted. */
export interface NotificationEvent {
  readonly type: string;
  readonly data: unknown;
  readonly streamId: string;
  readonly streamRevision: number;
}

/** The event types the notifications read model handles (its topics' other types are skipped). */
export const handledTypes = [
  'UserRegistered',
  'ProfileUpdated',
  'UserDeleted',
  'PostCreated',
  'PostEdited',
  'PostDeleted',
  'PostLiked',
  'PostUnliked',
  'CommentAdded',
  'CommentDeleted',
  'ReplyAdded',
  'ReplyDeleted',
  'UserFollowed',
  'UserUnfollowed',
  'FollowRequested',
  'FollowRequestAccepted',
  'FollowRequestDeclined',
  'FollowRequestWithdrawn',
  'UserMuted',
  'UserUnmuted',
  'UserBlocked',
  'UserUnblocked',
] as const;

/** What a notification is about, beside its actors. */
type About = Pick<NotificationDoc, 'type' | 'postId' | 'postAuthorId' | 'commentId' | 'replyId' | 'text'>;

const noChanges: NotificationChanges = { publish() {} };

/** Newer than the document as stored: the event's own stream has not applied this revision yet. */
const isNew = (current: StreamDoc | undefined, rev: number) => current === undefined || current.rev < rev;

/**
 * The rules of API.md "Notifications", applied to each event. Idempotent and order-tolerant by the two rules of
 * the projections' projector: the document of the event's own stream is written only when the event's revision is
 * newer (so a redelivery changes nothing), and the notifications are then reconciled from the documents as stored,
 * whether or not that write applied (so a crash between the two writes is repaired by the redelivery). What an
 * event of another stream decides (a deleted post, a deleted account, a comment's author) is looked up in its
 * stored document, and the document's own event reconciles again when it arrives: a like before its post's
 * deletion is taken back by the deletion, a like after it finds the tombstone.
 *
 * Who of the actors the recipient sees (mutes, blocks, deleted accounts) and whether it may read the post
 * (private accounts) are decided when the notifications are read (queries.ts), from the relations as they stand:
 * so those relations need no order with the events they filter, and an unmute or unblock shows what it hid.
 */
export class NotificationProjector {
  constructor(
    private readonly store: NotificationStore,
    private readonly changes: NotificationChanges = noChanges,
  ) {}

  async apply(event: NotificationEvent): Promise<void> {
    const rev = event.streamRevision;
    switch (event.type) {
      case 'UserRegistered':
        return this.userRegistered(event.data as EventOfType<'UserRegistered'>['data'], rev);
      case 'ProfileUpdated':
        return this.profileUpdated(event.data as EventOfType<'ProfileUpdated'>['data'], rev);
      case 'UserDeleted':
        return this.userDeleted((event.data as EventOfType<'UserDeleted'>['data']).userId, rev);
      case 'PostCreated':
        return this.postCreated(event.data as EventOfType<'PostCreated'>['data'], rev);
      case 'PostEdited':
        return this.postEdited(event.data as EventOfType<'PostEdited'>['data'], rev);
      case 'PostDeleted':
        return this.postDeleted(event.data as EventOfType<'PostDeleted'>['data'], rev);
      case 'PostLiked': {
        const { postId, userId, postAuthorId, likedAt } = event.data as EventOfType<'PostLiked'>['data'];
        return this.like(event.streamId, rev, { postId, userId, postAuthorId, state: 'on', at: likedAt });
      }
      case 'PostUnliked': {
        const { postId, userId, unlikedAt } = event.data as EventOfType<'PostUnliked'>['data'];
        return this.like(event.streamId, rev, { postId, userId, state: 'off', at: unlikedAt });
      }
      case 'CommentAdded':
        return this.commentAdded(event.data as EventOfType<'CommentAdded'>['data'], rev);
      case 'CommentDeleted':
        return this.commentDeleted(event.data as EventOfType<'CommentDeleted'>['data'], rev);
      case 'ReplyAdded':
        return this.replyAdded(event.data as EventOfType<'ReplyAdded'>['data'], rev);
      case 'ReplyDeleted':
        return this.replyDeleted(event.data as EventOfType<'ReplyDeleted'>['data'], rev);
      case 'UserFollowed': {
        const { followerId, followeeId, followedAt } = event.data as EventOfType<'UserFollowed'>['data'];
        return this.follow(event.streamId, rev, followerId, followeeId, (edge) => ({
          ...edge,
          state: 'following',
          at: followedAt,
        }));
      }
      case 'UserUnfollowed': {
        const { followerId, followeeId, unfollowedAt } = event.data as EventOfType<'UserUnfollowed'>['data'];
        return this.follow(event.streamId, rev, followerId, followeeId, (edge) => ended(edge, unfollowedAt));
      }
      case 'FollowRequested': {
        const { followerId, followeeId, requestedAt } = event.data as EventOfType<'FollowRequested'>['data'];
        return this.follow(event.streamId, rev, followerId, followeeId, (edge) => ({
          ...edge,
          state: 'requested',
          at: requestedAt,
        }));
      }
      case 'FollowRequestAccepted': {
        // Always followed by UserFollowed in the same append, which starts the follow.
        const { followerId, followeeId, acceptedAt } =
          event.data as EventOfType<'FollowRequestAccepted'>['data'];
        return this.follow(event.streamId, rev, followerId, followeeId, (edge) => ({ ...edge, acceptedAt }));
      }
      case 'FollowRequestDeclined': {
        const { followerId, followeeId, declinedAt } =
          event.data as EventOfType<'FollowRequestDeclined'>['data'];
        return this.follow(event.streamId, rev, followerId, followeeId, (edge) => ended(edge, declinedAt));
      }
      case 'FollowRequestWithdrawn': {
        const { followerId, followeeId, withdrawnAt } =
          event.data as EventOfType<'FollowRequestWithdrawn'>['data'];
        return this.follow(event.streamId, rev, followerId, followeeId, (edge) => ended(edge, withdrawnAt));
      }
      case 'UserMuted': {
        const { muterId, mutedId, mutedAt } = event.data as EventOfType<'UserMuted'>['data'];
        return this.relation(event.streamId, rev, 'mute', muterId, mutedId, 'on', mutedAt);
      }
      case 'UserUnmuted': {
        const { muterId, mutedId, unmutedAt } = event.data as EventOfType<'UserUnmuted'>['data'];
        return this.relation(event.streamId, rev, 'mute', muterId, mutedId, 'off', unmutedAt);
      }
      case 'UserBlocked': {
        const { blockerId, blockedId, blockedAt } = event.data as EventOfType<'UserBlocked'>['data'];
        return this.relation(event.streamId, rev, 'block', blockerId, blockedId, 'on', blockedAt);
      }
      case 'UserUnblocked': {
        const { blockerId, blockedId, unblockedAt } = event.data as EventOfType<'UserUnblocked'>['data'];
        return this.relation(event.streamId, rev, 'block', blockerId, blockedId, 'off', unblockedAt);
      }
      default:
        return;
    }
  }

  // Accounts

  private async userRegistered(data: EventOfType<'UserRegistered'>['data'], rev: number): Promise<void> {
    const { before, after } = await this.store.accounts.update(data.userId, (current) =>
      isNew(current, rev)
        ? {
            _id: data.userId,
            rev,
            userName: data.userName,
            name: data.name,
            profilePic: data.profilePic,
            isPrivate: current?.isPrivate ?? false,
            deleted: false,
          }
        : current,
    );
    // Acts of the account (or about its posts) applied before its registration were stored but not shown (an
    // unknown account): they show now.
    if (before === undefined && after !== undefined) {
      const found = await Promise.all([
        this.store.notifications.find('actorIds', data.userId),
        this.store.notifications.find('postAuthorId', data.userId),
      ]);
      this.showAgain(found.flat());
    }
  }

  private async profileUpdated(data: EventOfType<'ProfileUpdated'>['data'], rev: number): Promise<void> {
    const { before, after } = await this.store.accounts.update(data.userId, (current) => {
      if (!isNew(current, rev)) return current;
      const base = current ?? { userName: '', name: '', profilePic: '', isPrivate: false, deleted: false };
      return {
        ...base,
        _id: data.userId,
        rev,
        ...(data.name !== undefined ? { name: data.name } : {}),
        ...(data.profilePic !== undefined ? { profilePic: data.profilePic } : {}),
        ...(data.isPrivate !== undefined ? { isPrivate: data.isPrivate } : {}),
      };
    });
    // Who may read the account's posts changed: so may what the recipients of notifications about them see.
    if (after !== undefined && (before?.isPrivate ?? false) !== after.isPrivate) {
      const recipients = new Set(
        (await this.store.notifications.find('postAuthorId', data.userId)).map((doc) => doc.recipient),
      );
      for (const recipient of recipients) this.changes.publish(recipient, { type: 'unread-count' });
    }
  }

  /**
   * The account leaves: its personal fields are dropped (a tombstone remains, so its acts arriving late notify
   * nobody), and with it every notification it received, every one it caused (as an actor: it leaves the group;
   * a group left without actors goes) and every one about its posts.
   */
  private async userDeleted(userId: string, rev: number): Promise<void> {
    await this.store.accounts.update(userId, (current) =>
      isNew(current, rev)
        ? { _id: userId, rev, userName: '', name: '', profilePic: '', isPrivate: false, deleted: true }
        : current,
    );
    for (const doc of await this.store.notifications.find('recipient', userId)) await this.remove(doc._id);
    for (const doc of await this.store.notifications.find('postAuthorId', userId)) await this.remove(doc._id);
    for (const doc of await this.store.notifications.find('actorIds', userId)) {
      await this.removeActor(doc.recipient, doc.key, userId);
    }
    await this.store.marks.update(userId, () => undefined);
    // its open streams end (they look the account up on any change)
    this.changes.publish(userId, { type: 'unread-count' });
  }

  // Posts and their mentions

  private async postCreated(data: EventOfType<'PostCreated'>['data'], rev: number): Promise<void> {
    const { before, after } = await this.store.posts.update(data.postId, (current) =>
      isNew(current, rev)
        ? {
            _id: data.postId,
            rev,
            authorId: data.authorId,
            photo: data.photo,
            mentions: data.mentions ?? [],
            mentionedAt: data.createdAt,
            deleted: false,
          }
        : current,
    );
    if (after) await this.reconcilePostMentions(after, []);
    // Likes, comments and replies of the post applied before it were stored but not shown (a post not known
    // yet): they show now.
    if (before === undefined && after !== undefined) {
      this.showAgain(await this.store.notifications.find('postId', data.postId));
    }
  }

  private async postEdited(data: EventOfType<'PostEdited'>['data'], rev: number): Promise<void> {
    const { before, after } = await this.store.posts.update(data.postId, (current) => {
      if (!isNew(current, rev) || current === undefined) return current;
      const captionChanged = data.caption !== undefined;
      return {
        ...current,
        rev,
        ...(data.photo !== undefined ? { photo: data.photo } : {}),
        // The mentions come with the caption: an edited caption mentions what it mentions, nothing else.
        ...(captionChanged ? { mentions: data.mentions ?? [], mentionedAt: data.editedAt } : {}),
      };
    });
    if (after) await this.reconcilePostMentions(after, before?.mentions ?? []);
  }

  private async postDeleted(data: EventOfType<'PostDeleted'>['data'], rev: number): Promise<void> {
    await this.store.posts.update(data.postId, (current) =>
      isNew(current, rev)
        ? {
            _id: data.postId,
            rev,
            authorId: data.authorId,
            photo: current?.photo ?? '',
            mentions: [],
            mentionedAt: current?.mentionedAt ?? data.deletedAt,
            deleted: true,
          }
        : current,
    );
    for (const doc of await this.store.notifications.find('postId', data.postId)) await this.remove(doc._id);
  }

  /**
   * The mention notifications of a caption: one per mentioned account. An edit that drops a mention takes its
   * notification back; one that keeps it keeps its notification as it was.
   */
  private async reconcilePostMentions(post: PostDoc, mentionedBefore: readonly string[]): Promise<void> {
    for (const dropped of mentionedBefore.filter((id) => !post.mentions.includes(id))) {
      await this.remove(notificationId(dropped, keys.postMention(post._id)));
    }
    if (post.deleted) return;
    for (const mentioned of post.mentions) {
      if (!(await this.notifies(post.authorId, mentioned))) continue;
      await this.addActor(
        mentioned,
        keys.postMention(post._id),
        { type: 'mention', postId: post._id, postAuthorId: post.authorId },
        post.authorId,
        post.mentionedAt,
        { keepTime: true },
      );
    }
  }

  // Likes

  private async like(
    streamId: string,
    rev: number,
    like: { postId: string; userId: string; postAuthorId?: string; state: 'on' | 'off'; at: string },
  ): Promise<void> {
    // A like names its post's author: whether it may notify is read beside the like's own write, not after it
    // (one round trip's wait less for each like), and used when the write leaves the like on.
    const guess =
      like.state === 'on' && like.postAuthorId !== undefined
        ? this.mayNotify(like.postId, like.userId, like.postAuthorId)
        : undefined;
    // Awaited below when used; a failure of one that is not used is not the handler's.
    guess?.catch(() => {});
    const { after } = await this.store.likes.update(streamId, (current) =>
      isNew(current, rev)
        ? {
            _id: streamId,
            rev,
            kind: 'like',
            from: like.userId,
            to: like.postId,
            state: like.state,
            at: like.at,
            // PostUnliked does not name the author: the like before it (same stream, earlier) did.
            postAuthorId: like.postAuthorId ?? current?.postAuthorId,
          }
        : current,
    );
    const recipient = after?.postAuthorId;
    if (!after || recipient === undefined) return;
    const key = keys.like(after.to);
    // The stream is this like's (post, user): the guess asked about the same post and accounts. Without one
    // (an unlike whose stream holds a later like), they are asked now.
    const notifies =
      after.state === 'on' && (await (guess ?? this.mayNotify(after.to, after.from, recipient)));
    if (notifies) {
      await this.addActor(
        recipient,
        key,
        { type: 'like', postId: after.to, postAuthorId: recipient },
        after.from,
        after.at,
      );
    } else {
      await this.removeActor(recipient, key, after.from);
    }
  }

  // Comments and replies

  private async commentAdded(data: EventOfType<'CommentAdded'>['data'], rev: number): Promise<void> {
    const { after } = await this.store.comments.update(data.commentId, (current) =>
      isNew(current, rev)
        ? { _id: data.commentId, rev, postId: data.postId, authorId: data.authorId, deleted: false }
        : current,
    );
    if (!after || after.deleted || !(await this.postIsLive(data.postId))) return;
    const about = {
      postId: data.postId,
      postAuthorId: data.postAuthorId,
      commentId: data.commentId,
      text: data.text,
    };
    if (await this.notifies(data.authorId, data.postAuthorId)) {
      await this.addActor(
        data.postAuthorId,
        keys.comment(data.commentId),
        { type: 'comment', ...about },
        data.authorId,
        data.createdAt,
      );
    }
    for (const mentioned of data.mentions ?? []) {
      if (!(await this.notifies(data.authorId, mentioned))) continue;
      await this.addActor(
        mentioned,
        keys.commentMention(data.commentId),
        { type: 'mention', ...about },
        data.authorId,
        data.createdAt,
      );
    }
    // Replies that arrived before their comment: now their comment's author is known.
    for (const reply of await this.store.replies.find('commentId', data.commentId))
      await this.reconcileReply(reply);
  }

  private async commentDeleted(data: EventOfType<'CommentDeleted'>['data'], rev: number): Promise<void> {
    await this.store.comments.update(data.commentId, (current) =>
      isNew(current, rev)
        ? { _id: data.commentId, rev, postId: data.postId, authorId: current?.authorId ?? '', deleted: true }
        : current,
    );
    // Its own notifications and those of its replies, which name it as their comment.
    for (const doc of await this.store.notifications.find('commentId', data.commentId))
      await this.remove(doc._id);
  }

  private async replyAdded(data: EventOfType<'ReplyAdded'>['data'], rev: number): Promise<void> {
    const { after } = await this.store.replies.update(data.replyId, (current) =>
      isNew(current, rev)
        ? {
            _id: data.replyId,
            rev,
            commentId: data.commentId,
            postId: data.postId,
            postAuthorId: data.postAuthorId,
            authorId: data.authorId,
            text: data.text,
            mentions: data.mentions ?? [],
            at: data.createdAt,
            deleted: false,
          }
        : current,
    );
    if (after) await this.reconcileReply(after);
  }

  private async replyDeleted(data: EventOfType<'ReplyDeleted'>['data'], rev: number): Promise<void> {
    await this.store.replies.update(data.replyId, (current) =>
      isNew(current, rev) && current !== undefined ? { ...current, rev, text: '', deleted: true } : current,
    );
    for (const doc of await this.store.notifications.find('replyId', data.replyId))
      await this.remove(doc._id);
  }

  /** A reply notifies the post's author and its comment's author (once if the same), and whom it mentions. */
  private async reconcileReply(reply: ReplyDoc): Promise<void> {
    if (reply.deleted || !(await this.postIsLive(reply.postId))) return;
    const comment = await this.store.comments.get(reply.commentId);
    if (comment?.deleted) return;
    const about = {
      postId: reply.postId,
      postAuthorId: reply.postAuthorId,
      commentId: reply.commentId,
      replyId: reply._id,
      text: reply.text,
    };
    // The comment's author is known once its comment arrived; CommentAdded reconciles its replies then.
    const recipients = new Set([reply.postAuthorId, ...(comment ? [comment.authorId] : [])]);
    for (const recipient of recipients) {
      if (!(await this.notifies(reply.authorId, recipient))) continue;
      await this.addActor(
        recipient,
        keys.reply(reply._id),
        { type: 'reply', ...about },
        reply.authorId,
        reply.at,
      );
    }
    for (const mentioned of reply.mentions) {
      if (!(await this.notifies(reply.authorId, mentioned))) continue;
      await this.addActor(
        mentioned,
        keys.replyMention(reply._id),
        { type: 'mention', ...about },
        reply.authorId,
        reply.at,
      );
    }
    // The deletion of the reply or of its comment, applied meanwhile from another partition, may have looked for
    // these notifications before they were written. Each side writes its own document, then reads the other's, so
    // one of them sees the other: here, the deletion written since the reads above.
    const [replyNow, commentNow] = await Promise.all([
      this.store.replies.get(reply._id),
      this.store.comments.get(reply.commentId),
    ]);
    if (replyNow?.deleted || commentNow?.deleted) {
      for (const doc of await this.store.notifications.find('replyId', reply._id)) await this.remove(doc._id);
    }
  }

  // Follows and follow requests

  private async follow(
    streamId: string,
    rev: number,
    followerId: string,
    followeeId: string,
    next: (edge: EdgeDoc) => EdgeDoc,
  ): Promise<void> {
    const { after } = await this.store.edges.update(streamId, (current) =>
      isNew(current, rev)
        ? next({
            ...(current ?? { kind: 'follow', from: followerId, to: followeeId, state: 'none', at: '' }),
            _id: streamId,
            rev,
          })
        : current,
    );
    if (after) await this.reconcileFollow(after);
  }

  /** The follow stream's three notifications, as its state says: a pending request, the follow, its acceptance. */
  private async reconcileFollow(edge: EdgeDoc): Promise<void> {
    const { from: followerId, to: followeeId } = edge;
    const requestKey = keys.followRequest(followerId);
    if (edge.state === 'requested' && (await this.notifies(followerId, followeeId))) {
      await this.addActor(followeeId, requestKey, { type: 'follow_request' }, followerId, edge.at);
    } else {
      await this.remove(notificationId(followeeId, requestKey));
    }

    const acceptedKey = keys.followAccepted(followeeId);
    if (edge.state === 'following' && edge.acceptedAt && (await this.notifies(followeeId, followerId))) {
      await this.addActor(followerId, acceptedKey, { type: 'follow_accepted' }, followeeId, edge.acceptedAt);
    } else {
      await this.remove(notificationId(followerId, acceptedKey));
    }

    if (edge.state === 'following' && (await this.notifies(followerId, followeeId))) {
      const group = edge.group ?? (await this.followGroupFor(followeeId, edge));
      await this.addActor(followeeId, group, { type: 'follow' }, followerId, edge.at);
      if (edge.group === undefined) await this.setGroup(edge, group);
    } else if (edge.group !== undefined) {
      await this.removeActor(followeeId, edge.group, followerId);
      await this.setGroup(edge, undefined);
    }
    // Whether the follower may read a private followee's posts may have changed, and with it what it is shown
    // of the notifications about them.
    this.changes.publish(followerId, { type: 'unread-count' });
  }

  /**
   * The `follow` notification a new follow joins: the recipient's newest one while it is unread, else a new one.
   * The newest is remembered on the recipient's marker, set by compare-and-set, so two follows applied side by
   * side (two partitions) join one notification rather than starting two.
   */
  private async followGroupFor(recipient: string, edge: EdgeDoc): Promise<string> {
    const fresh = keys.follows(edge._id, edge.rev);
    for (;;) {
      const mark = await this.store.marks.get(recipient);
      const newest = mark?.followGroup;
      if (newest !== undefined) {
        const group = await this.store.notifications.get(notificationId(recipient, newest));
        if (group && !isRead(group, mark?.readUpTo)) return newest;
      }
      const { after } = await this.store.marks.update(recipient, (current) =>
        current?.followGroup === newest
          ? { ...(current ?? { _id: recipient }), followGroup: fresh }
          : current,
      );
      if (after?.followGroup === fresh) return fresh;
    }
  }

  private async setGroup(edge: EdgeDoc, group: string | undefined): Promise<void> {
    await this.store.edges.update(edge._id, (current) =>
      current && current.rev === edge.rev ? { ...current, group } : current,
    );
  }

  // Mutes and blocks: only recorded; the queries apply them.

  private async relation(
    streamId: string,
    rev: number,
    kind: 'mute' | 'block',
    from: string,
    to: string,
    state: 'on' | 'off',
    at: string,
  ): Promise<void> {
    const { changed } = await this.store.edges.update(streamId, (current) =>
      isNew(current, rev) ? { _id: streamId, rev, kind, from, to, state, at } : current,
    );
    if (!changed) return;
    this.changes.publish(from, { type: 'unread-count' });
    if (kind === 'block') this.changes.publish(to, { type: 'unread-count' });
  }

  // The notifications themselves

  /**
   * Whether a like of `postId` by `actor` may notify its author `recipient`: the post and the two accounts read
   * together, one round trip's wait instead of two.
   */
  private async mayNotify(postId: string, actor: string, recipient: string): Promise<boolean> {
    return (await Promise.all([this.postIsLive(postId), this.notifies(actor, recipient)])).every(Boolean);
  }

  /** Whether `actor`'s act may notify `recipient`: not its own act, neither account deleted. */
  private async notifies(actor: string, recipient: string): Promise<boolean> {
    if (actor === recipient) return false;
    const accounts = await this.store.accounts.getMany([actor, recipient]);
    return accounts.every((account) => !account.deleted);
  }

  /** A post not known to be deleted (one not known yet is decided when read, and by its deletion). */
  private async postIsLive(postId: string): Promise<boolean> {
    const post = await this.store.posts.get(postId);
    return post?.deleted !== true;
  }

  /** `keepTime`: an actor already there keeps the time it has (a mention an edit kept). */
  private async addActor(
    recipient: string,
    key: string,
    about: About,
    actor: string,
    at: string,
    options: { keepTime?: boolean } = {},
  ): Promise<void> {
    const id = notificationId(recipient, key);
    const changed = await this.store.notifications.addActor(
      { _id: id, recipient, key, ...about, type: about.type as NotificationType },
      actor,
      at,
      options.keepTime ?? false,
    );
    if (changed) this.told(recipient, { type: 'notification', notificationId: id });
  }

  private async removeActor(recipient: string, key: string, actor: string): Promise<void> {
    const id = notificationId(recipient, key);
    const removal = await this.store.notifications.removeActor(id, actor);
    if (removal !== 'unchanged')
      this.told(
        recipient,
        removal === 'changed'
          ? { type: 'notification', notificationId: id }
          : { type: 'removed', notificationId: id },
      );
  }

  private async remove(id: string): Promise<void> {
    const { changed, before } = await this.store.notifications.update(id, () => undefined);
    if (changed && before) this.told(before.recipient, { type: 'removed', notificationId: id });
  }

  /**
   * A notification changed. The unread count may have moved with it: a stream works that out from the
   * notification as its account now sees it (stream/routes.ts), so it is not told to count them all again.
   */
  private told(recipient: string, change: Parameters<NotificationChanges['publish']>[1]): void {
    this.changes.publish(recipient, change);
  }

  /** Notifications stored unchanged that their recipients may see differently now: each is read back anew. */
  private showAgain(docs: readonly NotificationDoc[]): void {
    for (const doc of docs) this.told(doc.recipient, { type: 'notification', notificationId: doc._id });
  }
}

/** A follow, or its request, ended: the notifications it gave are reconciled away (its group is kept until then). */
function ended(edge: EdgeDoc, at: string): EdgeDoc {
  const { acceptedAt: _, ...rest } = edge;
  return { ...rest, state: 'none', at };
}

/** Read: updated at or before the account's read marker. */
export function isRead(doc: Pick<NotificationDoc, 'updatedAt'>, readUpTo: string | undefined): boolean {
  return readUpTo !== undefined && doc.updatedAt <= readUpTo;
}
