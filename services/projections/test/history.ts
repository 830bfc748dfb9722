import type { RecordedEvent } from '@gram/event-store';
import { type DomainEvent, streamIds, toStoredEvent } from '@gram/events';
import { v7 } from 'uuid';

/**
 * Builds an event history as the command services would have appended it: stream ids, revisions per stream,
 * global positions, payloads validated against the catalogue, and identity's private credential event beside
 * each registration (so public revisions have gaps, as in production).
 */
export class HistoryBuilder {
  readonly events: RecordedEvent[] = [];
  private readonly revisions = new Map<string, number>();
  private clock: number;
  /** the account the appends are made on behalf of, in onBehalfOf */
  private actorId: string | undefined;

  constructor(start = Date.UTC(2025, 0, 1)) {
    this.clock = start;
  }

  private append(streamId: string, event: DomainEvent): void {
    this.clock += 1_000;
    const stored = toStoredEvent(event, this.actorId === undefined ? {} : { actorId: this.actorId });
    const revision = (this.revisions.get(streamId) ?? -1) + 1;
    this.revisions.set(streamId, revision);
    this.events.push({
      id: v7({ msecs: this.clock }),
      streamId,
      type: stored.type,
      data: stored.data,
      metadata: stored.metadata,
      revision,
      position: this.events.length + 1,
      createdAt: new Date(this.clock),
    });
  }

  /** Moves the clock on by `ms` before the next event (e.g. to the next hour). */
  advance(ms: number): void {
    this.clock += ms;
  }

  private now(): string {
    return new Date(this.clock + 1_000).toISOString();
  }

  private id(): string {
    return v7({ msecs: this.clock + 1_000 });
  }

  register(userName: string, name = userName): string {
    const userId = this.id();
    this.append(streamIds.user(userId), {
      type: 'UserRegistered',
      data: {
        userId,
        userName,
        name,
        bio: '',
        profilePic: 'https://img.example/default.png',
        registeredAt: this.now(),
      },
    });
    this.append(streamIds.user(userId), {
      type: 'AccountCredentialsSet',
      data: {
        userId,
        email: `${userName}@example.com`,
        phoneNo: '+15550100',
        passwordHash: 'x',
        setAt: this.now(),
      },
    });
    return userId;
  }

  updateProfile(userId: string, change: { name?: string; bio?: string; isPrivate?: boolean }): void {
    this.append(streamIds.user(userId), {
      type: 'ProfileUpdated',
      data: { userId, ...change, updatedAt: this.now() },
    });
  }

  deleteUser(userId: string): void {
    this.append(streamIds.user(userId), { type: 'UserDeleted', data: { userId, deletedAt: this.now() } });
  }

  follow(followerId: string, followeeId: string): void {
    this.append(streamIds.follow(followerId, followeeId), {
      type: 'UserFollowed',
      data: { followerId, followeeId, followedAt: this.now() },
    });
  }

  unfollow(followerId: string, followeeId: string): void {
    this.append(streamIds.follow(followerId, followeeId), {
      type: 'UserUnfollowed',
      data: { followerId, followeeId, unfollowedAt: this.now() },
    });
  }

  mute(muterId: string, mutedId: string): void {
    this.append(streamIds.mute(muterId, mutedId), {
      type: 'UserMuted',
      data: { muterId, mutedId, mutedAt: this.now() },
    });
  }

  unmute(muterId: string, mutedId: string): void {
    this.append(streamIds.mute(muterId, mutedId), {
      type: 'UserUnmuted',
      data: { muterId, mutedId, unmutedAt: this.now() },
    });
  }

  block(blockerId: string, blockedId: string): void {
    this.append(streamIds.block(blockerId, blockedId), {
      type: 'UserBlocked',
      data: { blockerId, blockedId, blockedAt: this.now() },
    });
  }

  unblock(blockerId: string, blockedId: string): void {
    this.append(streamIds.block(blockerId, blockedId), {
      type: 'UserUnblocked',
      data: { blockerId, blockedId, unblockedAt: this.now() },
    });
  }

  /**
   * Appends what `acts` appends with `actorId` in the metadata: what a service appends on an account's behalf,
   * as the reaction to a block does for the blocker.
   */
  onBehalfOf(actorId: string, acts: () => void): void {
    this.actorId = actorId;
    try {
      acts();
    } finally {
      this.actorId = undefined;
    }
  }

  /** The followee removes the follower. */
  removeFollower(followeeId: string, followerId: string): void {
    this.append(streamIds.follow(followerId, followeeId), {
      type: 'UserUnfollowed',
      data: { followerId, followeeId, unfollowedAt: this.now(), endedBy: 'followee' },
    });
  }

  requestFollow(followerId: string, followeeId: string): void {
    this.append(streamIds.follow(followerId, followeeId), {
      type: 'FollowRequested',
      data: { followerId, followeeId, requestedAt: this.now() },
    });
  }

  /** As social-graph records it: the acceptance, then the follow it starts. */
  acceptRequest(followeeId: string, followerId: string): void {
    const at = this.now();
    this.append(streamIds.follow(followerId, followeeId), {
      type: 'FollowRequestAccepted',
      data: { followerId, followeeId, acceptedAt: at },
    });
    this.append(streamIds.follow(followerId, followeeId), {
      type: 'UserFollowed',
      data: { followerId, followeeId, followedAt: at },
    });
  }

  declineRequest(followeeId: string, followerId: string): void {
    this.append(streamIds.follow(followerId, followeeId), {
      type: 'FollowRequestDeclined',
      data: { followerId, followeeId, declinedAt: this.now() },
    });
  }

  withdrawRequest(followerId: string, followeeId: string): void {
    this.append(streamIds.follow(followerId, followeeId), {
      type: 'FollowRequestWithdrawn',
      data: { followerId, followeeId, withdrawnAt: this.now() },
    });
  }

  post(authorId: string, caption = 'a photo', mentions?: string[]): string {
    const postId = this.id();
    this.append(streamIds.post(postId), {
      type: 'PostCreated',
      data: {
        postId,
        authorId,
        photo: `https://img.example/${postId}.jpg`,
        caption,
        ...(mentions ? { mentions } : {}),
        createdAt: this.now(),
      },
    });
    return postId;
  }

  editPost(postId: string, authorId: string, caption: string, mentions?: string[]): void {
    this.append(streamIds.post(postId), {
      type: 'PostEdited',
      data: { postId, authorId, caption, ...(mentions ? { mentions } : {}), editedAt: this.now() },
    });
  }

  deletePost(postId: string, authorId: string): void {
    this.append(streamIds.post(postId), {
      type: 'PostDeleted',
      data: { postId, authorId, deletedAt: this.now() },
    });
  }

  like(postId: string, postAuthorId: string, userId: string): void {
    this.append(streamIds.like(postId, userId), {
      type: 'PostLiked',
      data: { postId, userId, postAuthorId, likedAt: this.now() },
    });
  }

  unlike(postId: string, userId: string): void {
    this.append(streamIds.like(postId, userId), {
      type: 'PostUnliked',
      data: { postId, userId, unlikedAt: this.now() },
    });
  }

  comment(
    postId: string,
    postAuthorId: string,
    authorId: string,
    text = 'nice',
    mentions?: string[],
  ): string {
    const commentId = this.id();
    this.append(streamIds.comment(commentId), {
      type: 'CommentAdded',
      data: {
        commentId,
        postId,
        postAuthorId,
        authorId,
        text,
        ...(mentions ? { mentions } : {}),
        createdAt: this.now(),
      },
    });
    return commentId;
  }

  deleteComment(commentId: string, postId: string, deletedBy: string): void {
    this.append(streamIds.comment(commentId), {
      type: 'CommentDeleted',
      data: { commentId, postId, deletedBy, deletedAt: this.now() },
    });
  }

  reply(commentId: string, postId: string, postAuthorId: string, authorId: string, text = 'thanks'): string {
    const replyId = this.id();
    this.append(streamIds.reply(replyId), {
      type: 'ReplyAdded',
      data: { replyId, commentId, postId, postAuthorId, authorId, text, createdAt: this.now() },
    });
    return replyId;
  }

  deleteReply(replyId: string, commentId: string, postId: string, deletedBy: string): void {
    this.append(streamIds.reply(replyId), {
      type: 'ReplyDeleted',
      data: { replyId, commentId, postId, deletedBy, deletedAt: this.now() },
    });
  }
}

/** A small seeded PRNG (mulberry32), so a failing history can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface HistoryShape {
  users: number;
  follows: number;
  posts: number;
  likes: number;
  comments: number;
  /** replies, deletions, unlikes, unfollows, edits and account deletions are drawn in proportion to the above */
  seed?: number;
  /** accounts deleted near the end, with everything they did before */
  deletedUsers?: number;
  /** mutes (and some unmutes) of popular accounts, interleaved with the rest; none when absent */
  mutes?: number;
  /**
   * Private accounts: switches to private and back, follow requests (accepted, declined, withdrawn or left
   * pending) and followers removed by their followee; and blocks (some undone), each followed by what the write
   * side appends on the blocker's behalf (blockEnds), after which neither account follows, requests, likes,
   * comments or replies across the block. None when absent. Drawn from generators of their own, like mutes, so
   * that a shape without them is the very history it was before (the benchmarks' baselines).
   */
  privacy?: boolean;
  /**
   * Captions with hashtags (a few of a small pool, in varied case) and mentions, and edits that change them.
   * Drawn from a generator of its own, as privacy is, so that a shape without them is the history it was.
   */
  hashtags?: boolean;
  /**
   * What search indexes: names of several words with accents (`José María`), name changes, and captions and
   * edits carrying hashtags. Drawn from a generator of its own, like mutes; plain names and captions when absent.
   */
  search?: boolean;
}

const firstNames = ['José', 'María', 'Zoë', 'Jean-Luc', 'Ånne', 'Björn', 'Ana Sofía', 'Iris'];
const lastNames = ['García López', 'Núñez', "O'Brien", 'Müller', 'Søren', 'Dupont', 'Çelik'];
const hashtags = ['café', 'Café', 'cafe', 'sun', 'sunset', 'été', 'travel', 'トラベル'];

const tagPool = ['sunset', 'Sunset', 'café', 'CAFÉ', 'travel', 'food', 'cats', 'ŻÓŁW'];
const pickTag = (random: () => number): string => tagPool[Math.floor(random() * tagPool.length)] as string;

/**
 * A realistic history: follows skewed towards a few popular accounts, posts and likes interleaved with follows,
 * some unfollows, unlikes, edits, post/comment/reply deletions and account deletions (with their edges left in
 * the log, as identity and the other services leave them).
 */
export function generateHistory(shape: HistoryShape): RecordedEvent[] {
  const random = seededRandom(shape.seed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  // Popularity skew: low indexes are drawn far more often.
  const skewed = <T>(items: readonly T[]): T => items[Math.floor(random() ** 2.5 * items.length)] as T;
  const h = new HistoryBuilder();
  const users: string[] = [];
  const searchRandom = seededRandom((shape.seed ?? 1) + 32_452_843);
  const search = shape.search ?? false;
  const draw = <T>(items: readonly T[]): T => items[Math.floor(searchRandom() * items.length)] as T;
  const fullName = () => `${draw(firstNames)} ${draw(lastNames)}`;
  const caption = (text: string) =>
    search ? `${text} #${draw(hashtags)}${searchRandom() < 0.5 ? ` #${draw(hashtags)}` : ''}` : text;
  for (let i = 0; i < shape.users; i++)
    users.push(h.register(`user_${i}`, search ? fullName() : `User ${i}`));

  const follows = new Set<string>();
  const mutes = new Set<string>();
  const muteRandom = seededRandom((shape.seed ?? 1) + 7919);
  const privacyRandom = seededRandom((shape.seed ?? 1) + 104_729);
  const blockRandom = seededRandom((shape.seed ?? 1) + 1_299_709);
  const privacy = shape.privacy ?? false;
  const tagRandom = seededRandom((shape.seed ?? 1) + 15_485_863);
  /** a caption of 0-3 hashtags of the pool, and perhaps a mention, when the shape has them */
  const captioned = (): [string, string[] | undefined] => {
    if (!shape.hashtags) return ['a photo', undefined];
    const tags = Array.from({ length: Math.floor(tagRandom() * 4) }, () => pickTag(tagRandom));
    const mentioned =
      tagRandom() < 0.3 ? [users[Math.floor(tagRandom() * users.length)] as string] : undefined;
    return [`a photo ${tags.map((tag) => `#${tag}`).join(' ')}`, mentioned];
  };
  const posts: { postId: string; authorId: string }[] = [];
  const likes = new Set<string>();
  const pending = new Set<string>();
  const comments: Authored[] = [];
  const replies: (Authored & { replyId: string })[] = [];
  const deleted = new Set<string>();
  const relations: Relations = { follows, pending, likes, comments, replies, deleted, blocks: new Set() };
  const blocked = (one: string, other: string) => inBlock(relations, one, other);
  const total = shape.follows + shape.posts + shape.likes + shape.comments;
  const weights = [shape.follows, shape.posts, shape.likes, shape.comments].map((n) => n / total);
  for (let i = 0; i < total; i++) {
    const r = random();
    let cumulative = 0;
    const kind = weights.findIndex((w) => {
      cumulative += w;
      return r < cumulative;
    });
    if (kind === 0 || (kind !== 1 && posts.length === 0)) {
      const follower = pick(users);
      const followee = skewed(users);
      if (follower === followee || blocked(follower, followee)) continue;
      const key = `${follower}_${followee}`;
      if (follows.has(key)) {
        if (random() < 0.3) {
          if (privacy && privacyRandom() < 0.2) h.removeFollower(followee, follower);
          else h.unfollow(follower, followee);
          follows.delete(key);
        }
      } else if (privacy && (pending.has(key) || privacyRandom() < 0.15)) {
        // A request (to an account that is private) is answered at once, later, or never.
        if (!pending.has(key)) h.requestFollow(follower, followee);
        const answer = privacyRandom();
        pending.delete(key);
        if (answer < 0.4) {
          h.acceptRequest(followee, follower);
          follows.add(key);
        } else if (answer < 0.55) h.declineRequest(followee, follower);
        else if (answer < 0.7) h.withdrawRequest(follower, followee);
        else pending.add(key);
      } else {
        h.follow(follower, followee);
        follows.add(key);
      }
    } else if (kind === 1) {
      const authorId = skewed(users);
      const [text, mentioned] = captioned();
      const postId = h.post(authorId, caption(text), mentioned);
      posts.push({ postId, authorId });
      if (random() < 0.05) {
        const [edited, mentions] = captioned();
        h.editPost(
          postId,
          authorId,
          caption(shape.hashtags ? `edited ${edited}` : 'edited caption'),
          mentions,
        );
      }
      if (random() < 0.03) h.deletePost(postId, authorId);
    } else if (kind === 2) {
      const post = posts[
        Math.max(0, posts.length - 1 - Math.floor(random() ** 3 * posts.length))
      ] as (typeof posts)[0];
      const userId = pick(users);
      const key = `${post.postId}_${userId}`;
      if (blocked(userId, post.authorId)) continue;
      if (likes.has(key)) {
        h.unlike(post.postId, userId);
        likes.delete(key);
      } else {
        h.like(post.postId, post.authorId, userId);
        likes.add(key);
      }
    } else {
      const post = pick(posts);
      const authorId = pick(users);
      if (comments.length > 0 && random() < 0.3) {
        const comment = pick(comments);
        // A reply across a block, to the post's author or to the comment's, is refused.
        if (blocked(authorId, comment.postAuthorId) || blocked(authorId, comment.authorId)) continue;
        const replyId = h.reply(comment.commentId, comment.postId, comment.postAuthorId, authorId);
        replies.push({ ...comment, replyId, authorId });
        if (random() < 0.05) {
          h.deleteReply(replyId, comment.commentId, comment.postId, authorId);
          deleted.add(replyId);
        }
      } else {
        if (blocked(authorId, post.authorId)) continue;
        const mentions =
          shape.hashtags && tagRandom() < 0.2
            ? [users[Math.floor(tagRandom() * users.length)] as string]
            : undefined;
        const commentId = h.comment(post.postId, post.authorId, authorId, 'nice', mentions);
        comments.push({ commentId, postId: post.postId, postAuthorId: post.authorId, authorId });
        if (random() < 0.05) {
          h.deleteComment(commentId, post.postId, authorId);
          deleted.add(commentId);
        }
      }
    }
    if (i % 97 === 0) h.updateProfile(pick(users), { bio: `bio ${i}` });
    if (search && searchRandom() < 0.02) h.updateProfile(draw(users), { name: fullName() });
    if (privacy && i % 89 === 0) {
      const account = users[Math.floor(privacyRandom() * users.length)] as string;
      h.updateProfile(account, { isPrivate: privacyRandom() < 0.7 });
    }
    // Drawn from a generator of their own, so that a shape without mutes is the very history it was before.
    if (muteRandom() < (shape.mutes ?? 0) / total) {
      const muter = users[Math.floor(muteRandom() * users.length)] as string;
      const muted = users[Math.floor(muteRandom() ** 2.5 * users.length)] as string;
      const key = `${muter}_${muted}`;
      if (muter === muted) continue;
      if (!mutes.has(key)) {
        h.mute(muter, muted);
        mutes.add(key);
      } else if (muteRandom() < 0.4) {
        h.unmute(muter, muted);
        mutes.delete(key);
      }
    }
    if (privacy && blockRandom() < 0.02) {
      const live = [...relations.blocks];
      if (live.length > 0 && blockRandom() < 0.3) {
        const key = live[Math.floor(blockRandom() * live.length)] as string;
        const [blocker, blockedId] = key.split('_') as [string, string];
        h.unblock(blocker, blockedId);
        relations.blocks.delete(key);
      } else {
        // Popular accounts block, so that blocks end follows, likes and comments.
        const blocker = users[Math.floor(blockRandom() ** 2.5 * users.length)] as string;
        const blockedId = users[Math.floor(blockRandom() * users.length)] as string;
        const key = `${blocker}_${blockedId}`;
        if (blocker !== blockedId && !relations.blocks.has(key)) {
          h.block(blocker, blockedId);
          relations.blocks.add(key);
          blockEnds(h, relations, blocker, blockedId, posts);
        }
      }
    }
  }
  for (let i = 0; i < (shape.deletedUsers ?? 0); i++) h.deleteUser(users[users.length - 1 - i * 3] as string);
  return h.events;
}

/** A comment or a reply as the generator keeps it: where it is, and who wrote it. */
interface Authored {
  commentId: string;
  postId: string;
  postAuthorId: string;
  authorId: string;
}

/** What the generator knows of who did what to whom, keyed as the edges' ids are (`<from>_<to>`). */
interface Relations {
  follows: Set<string>;
  pending: Set<string>;
  /** `<postId>_<userId>` */
  likes: Set<string>;
  comments: Authored[];
  replies: (Authored & { replyId: string })[];
  /** the ids of the comments and replies deleted */
  deleted: Set<string>;
  blocks: Set<string>;
}

function inBlock(relations: Relations, one: string, other: string): boolean {
  return relations.blocks.has(`${one}_${other}`) || relations.blocks.has(`${other}_${one}`);
}

/**
 * What the write side appends on the blocker's behalf once a block is recorded, as its ordinary acts (nothing
 * on a public topic says "block"): its follow of the blocked account as an unfollow, the blocked account's as a
 * removed follower, pending requests both ways withdrawn and declined, and the blocked account's likes,
 * comments and replies under the blocker's posts as unlikes and deletions by the post's author.
 */
function blockEnds(
  h: HistoryBuilder,
  relations: Relations,
  blockerId: string,
  blockedId: string,
  posts: readonly { postId: string; authorId: string }[],
): void {
  const { follows, pending, likes, deleted } = relations;
  const [blockers, blockeds] = [`${blockerId}_${blockedId}`, `${blockedId}_${blockerId}`];
  h.onBehalfOf(blockerId, () => {
    if (follows.delete(blockers)) h.unfollow(blockerId, blockedId);
    if (follows.delete(blockeds)) h.removeFollower(blockerId, blockedId);
    if (pending.delete(blockers)) h.withdrawRequest(blockerId, blockedId);
    if (pending.delete(blockeds)) h.declineRequest(blockerId, blockedId);
    for (const { postId } of posts.filter((post) => post.authorId === blockerId)) {
      if (likes.delete(`${postId}_${blockedId}`)) h.unlike(postId, blockedId);
    }
    const under = (item: Authored) => item.postAuthorId === blockerId && item.authorId === blockedId;
    for (const comment of relations.comments.filter(under)) {
      if (deleted.has(comment.commentId)) continue;
      h.deleteComment(comment.commentId, comment.postId, blockerId);
      deleted.add(comment.commentId);
    }
    for (const reply of relations.replies.filter(under)) {
      if (deleted.has(reply.replyId)) continue;
      h.deleteReply(reply.replyId, reply.commentId, reply.postId, blockerId);
      deleted.add(reply.replyId);
    }
  });
}
