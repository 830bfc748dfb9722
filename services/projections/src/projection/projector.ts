import { type DomainEvent, isEventType } from '@gram/events';
import type { EventMessage } from '@gram/messaging';
import { assertNever } from '@gram/service-kit';
import {
  type CollectionName,
  type Doc,
  type DocumentStore,
  defaultFeedCap,
  type FeedEntry,
  type FeedStore,
  type Filter,
  type MergingFollower,
  type ReadModelStore,
} from '../store/document-store.js';
import { followId, likeId, ms } from '../store/keys.js';
import { compareKeys } from '../store/ordering.js';

export interface ProjectorOptions {
  /** authors with more followers than this are not fanned out on write; feeds merge their posts at read time */
  hotAuthorThreshold?: number;
  /** entries per home feed (the feed store's cap): how many recent posts a follow pulls in */
  feedCap?: number;
  /**
   * Nothing else writes the store while this projector runs, and it applies one event at a time (a rebuild's
   * fold into a fresh store): a count it reads is still current when written, so writeCount skips its check.
   */
  soleWriter?: boolean;
}

export const defaultHotAuthorThreshold = 10_000;

/** What the handlers read of a user, a post or a follow edge they reconcile: never the whole document. */
const userFlags = ['status', 'hot'] as const;
const postFlags = ['status', 'authorDeleted', 'at'] as const;
const edgeFlags = [
  'followerId',
  'following',
  'followeeHot',
  'followeeDeleted',
  'followerDeleted',
  'at',
] as const;

/**
 * The projection handlers: one event message in, read-model writes out.
 *
 * Idempotent and order-tolerant by construction, with two rules:
 * 1. The document of the event's own stream (user, post, comment, reply, like edge, follow edge) is written only
 *    through `applyRevision`, guarded by the stream revision: a redelivered or stale event changes nothing.
 * 2. Everything derived from other streams (counts, "author deleted" flags, feeds, the hot authors a feed
 *    merges) is then reconciled from the documents as stored, never from the event: counts are recounted from
 *    the edges, feeds are fixed from the post's and the follow edge's stored state. The reconcile step runs
 *    even when rule 1 did not apply, so a crash between the two writes is repaired by the redelivery.
 * Events of different streams may arrive in any order (a like before its post, a follow before the followee's
 * registration, a comment after its author's deletion): each handler reconciles what its write affects, and the
 * document written by the other event reconciles the rest when it arrives, so both orders meet at the same state.
 *
 * Counts (definitions the verify command recomputes from the event store):
 * - followersCount / followingCount: live follow edges whose other end is not a deleted account;
 * - postCount: the author's live posts; likesCount: live likes by accounts not deleted;
 * - commentsCount: live comments by accounts not deleted (replies not included); replyCount: likewise.
 *
 * Recounts read then write: handle() applies one message at a time within a worker, and each count written is
 * checked with a fresh count (writeCount), which keeps counts exact when several workers (Kafka partitions spread
 * over processes) recount the same post or user at once.
 *
 * Known limits:
 * - A feed holds the newest `feedCap` entries. Every path converges for what is inside that window. An unfollow
 *   that takes entries out of a full feed refills it from the accounts still followed (refillFeed), but an entry
 *   that fell off does not come back when a post is deleted or a followed account is deleted: refilling every
 *   follower's feed from every account it follows would cost the deletion of a popular account millions of
 *   reads. So two histories that differ only in the order of events around the cap can end with feeds that
 *   differ below the newest entries. A feed read merges hot authors' posts at read time, which is not capped.
 * - Likewise, which posts of an author now hot were fanned out (before it turned hot) depends on the order of
 *   events; a read merges that author's posts anyway and deduplicates, so what a reader sees does not.
 */
export class Projector {
  private readonly documents: DocumentStore;
  private readonly feeds: FeedStore;
  private readonly hotThreshold: number;
  private readonly feedCap: number;
  private readonly soleWriter: boolean;
  private queue: Promise<void> = Promise.resolve();
  /** what the events applied so far changed, recounted at the end of applyEvents() */
  private pending = noPendingRecounts();

  constructor(
    private readonly store: ReadModelStore,
    options: ProjectorOptions = {},
  ) {
    this.documents = store.documents;
    this.feeds = store.feeds;
    this.hotThreshold = options.hotAuthorThreshold ?? defaultHotAuthorThreshold;
    this.feedCap = options.feedCap ?? defaultFeedCap;
    this.soleWriter = options.soleWriter === true;
  }

  /** A MessageHandler: applies messages one at a time, in the order handle() was called. */
  readonly handle = (message: EventMessage): Promise<void> => {
    const run = this.queue.then(() => this.apply(message));
    this.queue = run.catch(() => {});
    return run;
  };

  /** Applies one message; callers that already serialize call this directly. */
  async apply(message: EventMessage): Promise<void> {
    await this.applyEvents([message]);
    await this.advance(message.position);
  }

  /**
   * Applies public events in order, then recounts what they changed; the checkpoint is left to the caller (the
   * rebuild advances it once per page of the log). Counts that no handler reads (likes, comments and replies
   * of a post or comment, posts of an author) are recounted once per call instead of once per event: a recount
   * reads nothing but the stored edges, so running it after the last event leaves what running it after each
   * would have. A page of the log then costs one recount per post liked in it, not one per like.
   * With `recount: false` those counts stay pending, to be recounted by a later call or by recount(): a fold
   * into a store nobody reads yet recounts once at its end, one recount per post liked in the whole log.
   */
  async applyEvents(events: Iterable<ProjectedEvent>, options: { recount?: boolean } = {}): Promise<void> {
    for (const event of events) {
      // A ProjectedEvent of a known type is a DomainEvent (type and data) with its revision beside.
      if (isEventType(event.type)) await this.project(event as unknown as DomainEvent, event.streamRevision);
    }
    if (options.recount !== false) await this.recount();
  }

  /** Records that everything up to `position` is applied. */
  async advance(position: number): Promise<void> {
    await this.store.checkpoint.advance(position);
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
        this.pending.likesOf.add(postId);
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
        this.pending.commentsOf.add(e.postId);
        return;
      }
      case 'CommentDeleted':
        await d.applyRevision('comments', event.data.commentId, rev, { status: 'deleted' });
        this.pending.commentsOf.add(event.data.postId);
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
        this.pending.repliesOf.add(e.commentId);
        return;
      }
      case 'ReplyDeleted':
        await d.applyRevision('replies', event.data.replyId, rev, { status: 'deleted' });
        this.pending.repliesOf.add(event.data.commentId);
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
    this.pending.postsOf.add(authorId);
    const post = await d.get('posts', postId, postFlags);
    const author = await d.get('users', authorId, userFlags);
    const audience = await this.liveFollowerIds(authorId);
    audience.push(authorId);
    if (post && isVisiblePost(post)) {
      // A hot author's followers merge the post at read time; the author still finds it in their own feed.
      const fanOut = author?.hot === true ? [authorId] : audience;
      await this.feeds.add(fanOut, [{ id: postId, value: post.at as number }]);
    } else {
      // A post without a sort key never reached a feed.
      if (typeof post?.at === 'number') await this.feeds.remove(audience, [{ id: postId, value: post.at }]);
    }
  }

  private async liveFollowerIds(userId: string): Promise<string[]> {
    return (await this.documents.values(
      'follows',
      { followeeId: userId, following: true, followerDeleted: false },
      'followerId',
    )) as string[];
  }

  /**
   * Recounts what the events applied so far left pending (see applyEvents); the pending set is taken first, so
   * a failed recount is redone next time.
   */
  async recount(): Promise<void> {
    const { likesOf, commentsOf, repliesOf, postsOf } = this.pending;
    this.pending = noPendingRecounts();
    for (const authorId of postsOf) {
      await this.writeCount('users', authorId, 'postCount', 'posts', { authorId, status: 'live' });
    }
    for (const postId of likesOf) {
      await this.writeCount('posts', postId, 'likesCount', 'likes', {
        postId,
        liked: true,
        userDeleted: false,
      });
    }
    for (const postId of commentsOf) {
      await this.writeCount('posts', postId, 'commentsCount', 'comments', {
        postId,
        status: 'live',
        authorDeleted: false,
      });
    }
    for (const commentId of repliesOf) {
      await this.writeCount('comments', commentId, 'replyCount', 'replies', {
        commentId,
        status: 'live',
        authorDeleted: false,
      });
    }
  }

  private async recountFollows(followerId: string, followeeId: string): Promise<void> {
    await this.writeCount('users', followerId, 'followingCount', 'follows', {
      followerId,
      following: true,
      followeeDeleted: false,
    });
    const followersCount = await this.writeCount('users', followeeId, 'followersCount', 'follows', {
      followeeId,
      following: true,
      followerDeleted: false,
    });
    await this.reconcileHotness(followeeId, followersCount > this.hotThreshold);
  }

  /**
   * Writes `field` of a document as the number of `counted` documents matching `filter`, and answers it. Other
   * workers may recount the same counter at the same time (the likes of one post arrive on as many streams, and
   * so partitions, as it has likers): a count read before another worker's edge and written after that worker's
   * recount would leave a stale number. So the write is checked with a fresh count, and written again until the
   * two agree. Every writer does this, so whoever writes last has read every edge applied before its write.
   * A sole writer (see ProjectorOptions) has nobody to race, and writes what it counted.
   */
  private async writeCount(
    collection: CollectionName,
    id: string,
    field: string,
    counted: CollectionName,
    filter: Filter,
  ): Promise<number> {
    const d = this.documents;
    let count = await d.count(counted, filter);
    for (;;) {
      await d.setFields(collection, id, { [field]: count });
      if (this.soleWriter) return count;
      const again = await d.count(counted, filter);
      if (again === count) return count;
      count = again;
    }
  }

  /**
   * A hot author is not fanned out on write: the flag is copied onto the author's follow edges, and each
   * follower's feed merges the author's posts at read time (FeedStore.mergeAuthor). Cooling down fans the
   * author's recent posts out again, since posts written while hot are in no follower's feed. The author's own
   * flag is written last, so a crash before it is redone in full when the event is delivered again.
   */
  private async reconcileHotness(userId: string, hot: boolean): Promise<void> {
    const d = this.documents;
    const user = await d.get('users', userId, userFlags);
    if (user?.hot === hot) return;
    if (user?.hot !== true && !hot) {
      // Never hot: only the flag is written, so that every account recounted carries it, in any order of events.
      await d.setFields('users', userId, { hot });
      return;
    }
    await d.updateMany('follows', { followeeId: userId }, { followeeHot: hot });
    const edges = await d.findAll('follows', { followeeId: userId }, edgeFlags);
    if (hot) {
      await this.feeds.mergeAuthor(userId, edges.filter(isMergedEdge).map(mergingFollowerOf));
    } else {
      await this.feeds.unmergeAuthor(
        userId,
        edges.map((edge) => edge.followerId as string),
      );
      const entries = await this.recentFeedEntries(userId);
      if (entries.length > 0) await this.feeds.add(await this.liveFollowerIds(userId), entries);
    }
    await d.setFields('users', userId, { hot });
  }

  /**
   * The author's newest visible posts as feed entries: the posts page's own keys, since a feed entry is such a
   * key. A memory store hands out the keys of its index, so a follow pulling hundreds of posts into a feed
   * allocates no entry (a tenth of a memory rebuild's time was spent making and collecting those copies).
   */
  private recentFeedEntries(authorId: string): Promise<readonly FeedEntry[]> {
    return this.documents.pageKeys(
      'posts',
      { authorId, status: 'live', authorDeleted: false },
      { field: 'at', order: -1 },
      undefined,
      this.feedCap,
    );
  }

  /**
   * Following brings the followee's recent posts in (or merges them at read time when the followee is hot);
   * not following takes every post of theirs out.
   */
  private async reconcileFollowFeed(followerId: string, followeeId: string): Promise<void> {
    const edge = await this.documents.get('follows', followId(followerId, followeeId), edgeFlags);
    const followee = await this.documents.get('users', followeeId, userFlags);
    const follower = await this.documents.get('users', followerId, userFlags);
    if (follower?.status === 'deleted') return;
    if (edge?.following === true && followee?.status !== 'deleted' && followee?.hot !== true) {
      const entries = await this.recentFeedEntries(followeeId);
      if (entries.length > 0) await this.feeds.add([followerId], entries);
    } else if (edge?.following !== true) {
      const posts = await this.documents.findAll('posts', { authorId: followeeId }, ['at']);
      const full = (await this.feeds.size(followerId)) >= this.feedCap;
      await this.feeds.remove([followerId], feedEntriesOf(posts));
      if (full) await this.refillFeed(followerId);
    }
    if (edge && isMergedEdge(edge)) await this.feeds.mergeAuthor(followeeId, [mergingFollowerOf(edge)]);
    else await this.feeds.unmergeAuthor(followeeId, [followerId]);
  }

  /**
   * Fills a feed again from the recent posts of the accounts it fans out (the user's own and those of the live,
   * not hot, accounts followed): after an unfollow emptied part of a full feed, the older posts of the others,
   * which had fallen below the cap, come back. Adding what is already there changes nothing.
   */
  private async refillFeed(userId: string): Promise<void> {
    // The filter of recountFollows' followingCount, so that the memory store answers from the index it already
    // keeps current on every follow, rather than building and keeping one more for this rare call.
    const edges = await this.documents.findAll(
      'follows',
      { followerId: userId, following: true, followeeDeleted: false },
      ['followeeId', 'followeeHot'],
    );
    const followees = edges
      .filter((edge) => edge.followeeHot !== true)
      .map((edge) => edge.followeeId as string);
    const entries: FeedEntry[] = [];
    for (const authorId of [userId, ...followees]) entries.push(...(await this.recentFeedEntries(authorId)));
    entries.sort((a, b) => -compareKeys(a, b));
    if (entries.length > 0) await this.feeds.add([userId], entries.slice(0, this.feedCap));
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
    for (const postId of await d.values('likes', { userId }, 'postId')) {
      this.pending.likesOf.add(postId as string);
    }
    for (const postId of await d.values('comments', { authorId: userId }, 'postId')) {
      this.pending.commentsOf.add(postId as string);
    }
    for (const commentId of await d.values('replies', { authorId: userId }, 'commentId')) {
      this.pending.repliesOf.add(commentId as string);
    }

    const posts = await d.findAll('posts', { authorId: userId }, ['at']);
    const followers = (await d.findAll('follows', { followeeId: userId }, ['followerId'])).map(
      (edge) => edge.followerId as string,
    );
    await this.feeds.remove(followers, feedEntriesOf(posts));
    await this.feeds.unmergeAuthor(userId, followers);
    await this.feeds.drop(userId);
  }
}

/**
 * A follow edge whose followee's posts the follower's feed merges at read time: a live follow of a hot account,
 * neither end deleted.
 */
function isMergedEdge(edge: Doc): boolean {
  return (
    edge.following === true &&
    edge.followeeHot === true &&
    edge.followeeDeleted === false &&
    edge.followerDeleted === false
  );
}

function mergingFollowerOf(edge: Doc): MergingFollower {
  return { userId: edge.followerId as string, at: edge.at as number };
}

/** A post the API shows: live, by an account that is not deleted. */
export function isVisiblePost(post: Doc): boolean {
  return post.status === 'live' && post.authorDeleted === false;
}

/** The feed entries of posts read with their sort key; a post without one never reached a feed. */
function feedEntriesOf(posts: readonly Doc[]): FeedEntry[] {
  return posts.flatMap((post) => (typeof post.at === 'number' ? [{ id: post.id, value: post.at }] : []));
}

/** One event as the handlers read it: its type, its payload at the catalogue's version, its stream revision. */
export interface ProjectedEvent {
  readonly type: string;
  readonly data: unknown;
  readonly streamRevision: number;
}

function noPendingRecounts() {
  return {
    /** posts whose likesCount may have changed */
    likesOf: new Set<string>(),
    /** posts whose commentsCount may have changed */
    commentsOf: new Set<string>(),
    /** comments whose replyCount may have changed */
    repliesOf: new Set<string>(),
    /** authors whose postCount may have changed */
    postsOf: new Set<string>(),
  };
}
