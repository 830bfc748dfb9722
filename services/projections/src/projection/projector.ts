import { type DomainEvent, isEventType } from '@gram/events';
import type { EventMessage } from '@gram/messaging';
import { assertNever } from '@gram/service-kit';
import type {
  Doc,
  DocumentStore,
  FeedEntry,
  FeedStore,
  ReadModelStore,
} from '../read-model/document-store.js';
import { followId, likeId, ms } from '../read-model/keys.js';

export interface ProjectorOptions {
  /** authors with more followers than this are not fanned out on write; feeds merge their posts at read time */
  hotAuthorThreshold?: number;
  /** entries per home feed (the feed store's cap): how many recent posts a follow pulls in */
  feedCap?: number;
}

export const defaultHotAuthorThreshold = 10_000;

/** What the handlers read of a user or a post they reconcile: never the whole document. */
const userFlags = ['status', 'hot'] as const;
const postFlags = ['status', 'authorDeleted', 'at'] as const;

/**
 * The projection handlers: one event message in, read-model writes out.
 *
 * Idempotent and order-tolerant by construction, with two rules:
 * 1. The document of the event's own stream (user, post, comment, reply, like edge, follow edge) is written only
 *    through `applyRevision`, guarded by the stream revision: a redelivered or stale event changes nothing.
 * 2. Everything derived from other streams (counts, "author deleted" flags, feeds) is then reconciled from the
 *    documents as stored, never from the event: counts are recounted from the edges, feeds are fixed from the
 *    post's and the follow edge's stored state. The reconcile step runs even when rule 1 did not apply, so a
 *    crash between the two writes is repaired by the redelivery.
 * Events of different streams may arrive in any order (a like before its post, a follow before the followee's
 * registration, a comment after its author's deletion): each handler reconciles what its write affects, and the
 * document written by the other event reconciles the rest when it arrives, so both orders meet at the same state.
 *
 * Counts (definitions the verify command recomputes from the event store):
 * - followersCount / followingCount: live follow edges whose other end is not a deleted account;
 * - postCount: the author's live posts; likesCount: live likes by accounts not deleted;
 * - commentsCount: live comments by accounts not deleted (replies not included); replyCount: likewise.
 *
 * Recounts read then write, so two of them on the same document must not interleave: handle() applies one
 * message at a time (a worker is one consumer; its throughput comes from the store's round trips, which are few).
 *
 * Known limits:
 * - Several workers (Kafka partitions spread over processes) may recount the same post or user at once: each
 *   reads a count and writes it, so a slower worker can write a count that misses the other's edge. The next
 *   event touching that document recounts it right, and `verify` reports any count still off; keeping counts
 *   exact under concurrent workers would need the recount and the write in one atomic step (a `$inc` guarded
 *   by the edge's own revision, or a single writer per document key).
 * - A feed holds the newest `feedCap` entries. Every path converges for what is inside that window, but an
 *   entry that fell off (the cap) does not come back when newer ones are removed (a post deleted, an unfollow):
 *   Redis and memory both drop it for good, so two histories that differ only in the order of events around the
 *   cap can end with feeds that differ below the newest entries. A feed read merges hot authors' posts at read
 *   time, which is not capped.
 */
export class Projector {
  private readonly documents: DocumentStore;
  private readonly feeds: FeedStore;
  private readonly hotThreshold: number;
  private readonly feedCap: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ReadModelStore,
    options: ProjectorOptions = {},
  ) {
    this.documents = store.documents;
    this.feeds = store.feeds;
    this.hotThreshold = options.hotAuthorThreshold ?? defaultHotAuthorThreshold;
    this.feedCap = options.feedCap ?? 800;
  }

  /** A MessageHandler: applies messages one at a time, in the order handle() was called. */
  readonly handle = (message: EventMessage): Promise<void> => {
    const run = this.queue.then(() => this.apply(message));
    this.queue = run.catch(() => {});
    return run;
  };

  /** Applies one message; callers that already serialize (the rebuild) call this directly. */
  async apply(message: EventMessage): Promise<void> {
    if (isEventType(message.type)) {
      await this.project({ type: message.type, data: message.data } as DomainEvent, message.streamRevision);
    }
    await this.store.checkpoint.advance(message.position);
  }

  private async project(event: DomainEvent, rev: number): Promise<void> {
    const d = this.documents;
    switch (event.type) {
      case 'UserRegistered': {
        const e = event.data;
        await d.applyRevision('users', e.userId, rev, {
          status: 'live',
          userName: e.userName,
          userNameKey: e.userName.toLowerCase(),
          name: e.name,
          bio: e.bio,
          profilePic: e.profilePic,
          createdAt: e.registeredAt,
        });
        return;
      }
      case 'ProfileUpdated': {
        const { userId, updatedAt: _updatedAt, ...changed } = event.data;
        await d.applyRevision('users', userId, rev, changed);
        return;
      }
      case 'UserDeleted':
        await d.applyRevision('users', event.data.userId, rev, { status: 'deleted' });
        await this.reconcileDeletedUser(event.data.userId);
        return;
      case 'PostCreated': {
        const e = event.data;
        await d.applyRevision('posts', e.postId, rev, {
          status: 'live',
          authorId: e.authorId,
          photo: e.photo,
          caption: e.caption,
          createdAt: e.createdAt,
          updatedAt: e.createdAt,
          at: ms(e.createdAt),
          authorDeleted: await this.isDeleted(e.authorId),
        });
        await this.reconcilePost(e.postId, e.authorId);
        return;
      }
      case 'PostEdited': {
        const { postId, authorId: _authorId, editedAt, ...changed } = event.data;
        await d.applyRevision('posts', postId, rev, { ...changed, updatedAt: editedAt });
        return;
      }
      case 'PostDeleted':
        await d.applyRevision('posts', event.data.postId, rev, { status: 'deleted' });
        await this.reconcilePost(event.data.postId, event.data.authorId);
        return;
      case 'PostLiked':
      case 'PostUnliked': {
        const { postId, userId } = event.data;
        const liked = event.type === 'PostLiked';
        await d.applyRevision('likes', likeId(postId, userId), rev, {
          postId,
          userId,
          liked,
          ...(event.type === 'PostLiked' ? { at: ms(event.data.likedAt) } : {}),
          userDeleted: await this.isDeleted(userId),
        });
        await this.recountLikes(postId);
        return;
      }
      case 'CommentAdded': {
        const e = event.data;
        await d.applyRevision('comments', e.commentId, rev, {
          status: 'live',
          postId: e.postId,
          authorId: e.authorId,
          text: e.text,
          createdAt: e.createdAt,
          at: ms(e.createdAt),
          authorDeleted: await this.isDeleted(e.authorId),
        });
        await this.recountComments(e.postId);
        return;
      }
      case 'CommentDeleted':
        await d.applyRevision('comments', event.data.commentId, rev, { status: 'deleted' });
        await this.recountComments(event.data.postId);
        return;
      case 'ReplyAdded': {
        const e = event.data;
        await d.applyRevision('replies', e.replyId, rev, {
          status: 'live',
          commentId: e.commentId,
          postId: e.postId,
          authorId: e.authorId,
          text: e.text,
          createdAt: e.createdAt,
          at: ms(e.createdAt),
          authorDeleted: await this.isDeleted(e.authorId),
        });
        await this.recountReplies(e.commentId);
        return;
      }
      case 'ReplyDeleted':
        await d.applyRevision('replies', event.data.replyId, rev, { status: 'deleted' });
        await this.recountReplies(event.data.commentId);
        return;
      case 'UserFollowed':
      case 'UserUnfollowed': {
        const { followerId, followeeId } = event.data;
        const followee = await d.get('users', followeeId, userFlags);
        await d.applyRevision('follows', followId(followerId, followeeId), rev, {
          followerId,
          followeeId,
          following: event.type === 'UserFollowed',
          ...(event.type === 'UserFollowed' ? { at: ms(event.data.followedAt) } : {}),
          followerDeleted: await this.isDeleted(followerId),
          followeeDeleted: followee?.status === 'deleted',
          followeeHot: followee?.hot === true,
        });
        await this.recountFollows(followerId, followeeId);
        await this.reconcileFollowFeed(followerId, followeeId);
        return;
      }
      case 'MediaUploaded':
        // The media service answers for its own uploads; no read model here shows them.
        return;
      case 'AccountCredentialsSet':
      case 'SessionStarted':
      case 'SessionRefreshed':
      case 'SessionRevoked':
      case 'UniqueValueReserved':
      case 'UniqueValueReleased':
        // Private to identity: never on a topic, ignored if one ever reached us.
        return;
      default:
        return assertNever(event);
    }
  }

  private async isDeleted(userId: string): Promise<boolean> {
    return (await this.documents.get('users', userId, userFlags))?.status === 'deleted';
  }

  /** A post's author count and its place in the feeds of the author and the author's followers. */
  private async reconcilePost(postId: string, authorId: string): Promise<void> {
    const d = this.documents;
    await d.setFields('users', authorId, { postCount: await d.count('posts', { authorId, status: 'live' }) });
    const post = await d.get('posts', postId, postFlags);
    const author = await d.get('users', authorId, userFlags);
    const audience = [authorId, ...(await this.liveFollowerIds(authorId))];
    if (post && isVisiblePost(post)) {
      // A hot author's followers merge the post at read time; the author still finds it in their own feed.
      const fanOut = author?.hot === true ? [authorId] : audience;
      await this.feeds.add(fanOut, [{ postId, score: post.at as number }]);
    } else {
      // A post without a sort key never reached a feed.
      if (typeof post?.at === 'number') await this.feeds.remove(audience, [{ postId, score: post.at }]);
    }
  }

  private async liveFollowerIds(userId: string): Promise<string[]> {
    const edges = await this.documents.findAll(
      'follows',
      { followeeId: userId, following: true, followerDeleted: false },
      ['followerId'],
    );
    return edges.map((edge) => edge.followerId as string);
  }

  private async recountLikes(postId: string): Promise<void> {
    const likesCount = await this.documents.count('likes', { postId, liked: true, userDeleted: false });
    await this.documents.setFields('posts', postId, { likesCount });
  }

  private async recountComments(postId: string): Promise<void> {
    const commentsCount = await this.documents.count('comments', {
      postId,
      status: 'live',
      authorDeleted: false,
    });
    await this.documents.setFields('posts', postId, { commentsCount });
  }

  private async recountReplies(commentId: string): Promise<void> {
    const replyCount = await this.documents.count('replies', {
      commentId,
      status: 'live',
      authorDeleted: false,
    });
    await this.documents.setFields('comments', commentId, { replyCount });
  }

  private async recountFollows(followerId: string, followeeId: string): Promise<void> {
    const d = this.documents;
    await d.setFields('users', followerId, {
      followingCount: await d.count('follows', { followerId, following: true, followeeDeleted: false }),
    });
    const followersCount = await d.count('follows', { followeeId, following: true, followerDeleted: false });
    await d.setFields('users', followeeId, { followersCount });
    await this.reconcileHotness(followeeId, followersCount > this.hotThreshold);
  }

  /**
   * A hot author is not fanned out on write. The flag is copied onto the author's follow edges, so a feed read
   * finds the hot authors a user follows with one indexed query. Cooling down fans the author's recent posts
   * out again, since posts written while hot are in no follower's feed.
   */
  private async reconcileHotness(userId: string, hot: boolean): Promise<void> {
    const d = this.documents;
    const user = await d.get('users', userId, userFlags);
    if ((user?.hot === true) === hot) return;
    await d.setFields('users', userId, { hot });
    await d.updateMany('follows', { followeeId: userId }, { followeeHot: hot });
    if (!hot) {
      const entries = await this.recentFeedEntries(userId);
      if (entries.length > 0) await this.feeds.add(await this.liveFollowerIds(userId), entries);
    }
  }

  private async recentFeedEntries(authorId: string): Promise<FeedEntry[]> {
    const posts = await this.documents.page(
      'posts',
      { authorId, status: 'live', authorDeleted: false },
      { field: 'at', order: -1 },
      undefined,
      this.feedCap,
      ['at'],
    );
    return feedEntriesOf(posts);
  }

  /** Following brings the followee's recent posts in; not following takes every post of theirs out. */
  private async reconcileFollowFeed(followerId: string, followeeId: string): Promise<void> {
    const edge = await this.documents.get('follows', followId(followerId, followeeId), ['following']);
    const followee = await this.documents.get('users', followeeId, userFlags);
    const follower = await this.documents.get('users', followerId, userFlags);
    if (follower?.status === 'deleted') return;
    if (edge?.following === true && followee?.status !== 'deleted' && followee?.hot !== true) {
      const entries = await this.recentFeedEntries(followeeId);
      if (entries.length > 0) await this.feeds.add([followerId], entries);
    } else if (edge?.following !== true) {
      const posts = await this.documents.findAll('posts', { authorId: followeeId }, ['at']);
      await this.feeds.remove([followerId], feedEntriesOf(posts));
    }
  }

  /**
   * A deleted account stops counting everywhere: its documents are flagged (so every count and list filters it
   * with an equality), the documents it touched are recounted, and its posts leave every feed. Documents of the
   * account that arrive later are flagged at write time (`isDeleted`), so either order ends the same.
   */
  private async reconcileDeletedUser(userId: string): Promise<void> {
    const d = this.documents;
    await d.updateMany('posts', { authorId: userId }, { authorDeleted: true });
    await d.updateMany('comments', { authorId: userId }, { authorDeleted: true });
    await d.updateMany('replies', { authorId: userId }, { authorDeleted: true });
    await d.updateMany('likes', { userId }, { userDeleted: true });
    await d.updateMany('follows', { followerId: userId }, { followerDeleted: true });
    await d.updateMany('follows', { followeeId: userId }, { followeeDeleted: true });

    for (const edge of await d.findAll('follows', { followerId: userId })) {
      await this.recountFollows(userId, edge.followeeId as string);
    }
    for (const edge of await d.findAll('follows', { followeeId: userId })) {
      await this.recountFollows(edge.followerId as string, userId);
    }
    for (const postId of unique(await d.findAll('likes', { userId }), 'postId'))
      await this.recountLikes(postId);
    for (const postId of unique(await d.findAll('comments', { authorId: userId }), 'postId')) {
      await this.recountComments(postId);
    }
    for (const commentId of unique(await d.findAll('replies', { authorId: userId }), 'commentId')) {
      await this.recountReplies(commentId);
    }

    const posts = await d.findAll('posts', { authorId: userId }, ['at']);
    const followers = (await d.findAll('follows', { followeeId: userId }, ['followerId'])).map(
      (edge) => edge.followerId as string,
    );
    await this.feeds.remove(followers, feedEntriesOf(posts));
    await this.feeds.drop(userId);
  }
}

/** A post the API shows: live, by an account that is not deleted. */
export function isVisiblePost(post: Doc): boolean {
  return post.status === 'live' && post.authorDeleted === false;
}

/** The feed entries of posts read with their sort key; a post without one never reached a feed. */
function feedEntriesOf(posts: readonly Doc[]): FeedEntry[] {
  return posts.flatMap((post) => (typeof post.at === 'number' ? [{ postId: post.id, score: post.at }] : []));
}

function unique(docs: Doc[], field: string): string[] {
  return [...new Set(docs.map((doc) => doc[field] as string))];
}
