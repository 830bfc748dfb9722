import { streamIds } from '@gram/events';
import { v7 } from 'uuid';
import type { NotificationEvent } from '../src/read-model/projector.js';

/**
 * Events as the command services append them (plaintext personal fields), with stream ids and revisions per
 * stream, one second apart: enough for the notifications' rules, mentions included.
 */
export class History {
  readonly events: NotificationEvent[] = [];
  private readonly revisions = new Map<string, number>();
  private clock = Date.UTC(2025, 0, 1);

  /** moves the clock to `ms` (later acts come after a read marker set at a fixed time) */
  advanceTo(ms: number): void {
    this.clock = ms;
  }

  private at(): string {
    this.clock += 1_000;
    return new Date(this.clock).toISOString();
  }

  private append(streamId: string, type: string, data: Record<string, unknown>): void {
    const streamRevision = (this.revisions.get(streamId) ?? -1) + 1;
    this.revisions.set(streamId, streamRevision);
    this.events.push({ type, data, streamId, streamRevision });
  }

  register(userName: string): string {
    const userId = v7();
    this.append(streamIds.user(userId), 'UserRegistered', {
      userId,
      userName,
      name: userName.toUpperCase(),
      bio: '',
      profilePic: `https://img.example/${userName}.png`,
      registeredAt: this.at(),
    });
    return userId;
  }
  goPrivate(userId: string, isPrivate = true): void {
    this.append(streamIds.user(userId), 'ProfileUpdated', { userId, isPrivate, updatedAt: this.at() });
  }
  deleteUser(userId: string): void {
    this.append(streamIds.user(userId), 'UserDeleted', { userId, deletedAt: this.at() });
  }
  post(authorId: string, mentions?: string[]): string {
    const postId = v7();
    this.append(streamIds.post(postId), 'PostCreated', {
      postId,
      authorId,
      photo: `https://img.example/p/${postId}.jpg`,
      caption: 'a photo',
      ...(mentions ? { mentions } : {}),
      createdAt: this.at(),
    });
    return postId;
  }
  editCaption(postId: string, authorId: string, mentions: string[]): void {
    this.append(streamIds.post(postId), 'PostEdited', {
      postId,
      authorId,
      caption: 'edited',
      mentions,
      editedAt: this.at(),
    });
  }
  deletePost(postId: string, authorId: string): void {
    this.append(streamIds.post(postId), 'PostDeleted', { postId, authorId, deletedAt: this.at() });
  }
  like(postId: string, postAuthorId: string, userId: string): void {
    this.append(streamIds.like(postId, userId), 'PostLiked', {
      postId,
      userId,
      postAuthorId,
      likedAt: this.at(),
    });
  }
  unlike(postId: string, userId: string): void {
    this.append(streamIds.like(postId, userId), 'PostUnliked', { postId, userId, unlikedAt: this.at() });
  }
  comment(postId: string, postAuthorId: string, authorId: string, mentions?: string[]): string {
    const commentId = v7();
    this.append(streamIds.comment(commentId), 'CommentAdded', {
      commentId,
      postId,
      postAuthorId,
      authorId,
      text: `comment ${commentId.slice(-4)}`,
      ...(mentions ? { mentions } : {}),
      createdAt: this.at(),
    });
    return commentId;
  }
  deleteComment(commentId: string, postId: string, deletedBy: string): void {
    this.append(streamIds.comment(commentId), 'CommentDeleted', {
      commentId,
      postId,
      deletedBy,
      deletedAt: this.at(),
    });
  }
  reply(
    commentId: string,
    postId: string,
    postAuthorId: string,
    authorId: string,
    mentions?: string[],
  ): string {
    const replyId = v7();
    this.append(streamIds.reply(replyId), 'ReplyAdded', {
      replyId,
      commentId,
      postId,
      postAuthorId,
      authorId,
      text: `reply ${replyId.slice(-4)}`,
      ...(mentions ? { mentions } : {}),
      createdAt: this.at(),
    });
    return replyId;
  }
  deleteReply(replyId: string, commentId: string, postId: string, deletedBy: string): void {
    this.append(streamIds.reply(replyId), 'ReplyDeleted', {
      replyId,
      commentId,
      postId,
      deletedBy,
      deletedAt: this.at(),
    });
  }
  follow(followerId: string, followeeId: string): void {
    this.append(streamIds.follow(followerId, followeeId), 'UserFollowed', {
      followerId,
      followeeId,
      followedAt: this.at(),
    });
  }
  unfollow(followerId: string, followeeId: string): void {
    this.append(streamIds.follow(followerId, followeeId), 'UserUnfollowed', {
      followerId,
      followeeId,
      unfollowedAt: this.at(),
    });
  }
  requestFollow(followerId: string, followeeId: string): void {
    this.append(streamIds.follow(followerId, followeeId), 'FollowRequested', {
      followerId,
      followeeId,
      requestedAt: this.at(),
    });
  }
  acceptRequest(followeeId: string, followerId: string): void {
    const at = this.at();
    const stream = streamIds.follow(followerId, followeeId);
    this.append(stream, 'FollowRequestAccepted', { followerId, followeeId, acceptedAt: at });
    this.append(stream, 'UserFollowed', { followerId, followeeId, followedAt: at });
  }
  declineRequest(followeeId: string, followerId: string): void {
    this.append(streamIds.follow(followerId, followeeId), 'FollowRequestDeclined', {
      followerId,
      followeeId,
      declinedAt: this.at(),
    });
  }
  withdrawRequest(followerId: string, followeeId: string): void {
    this.append(streamIds.follow(followerId, followeeId), 'FollowRequestWithdrawn', {
      followerId,
      followeeId,
      withdrawnAt: this.at(),
    });
  }
  mute(muterId: string, mutedId: string, on = true): void {
    this.append(
      streamIds.mute(muterId, mutedId),
      on ? 'UserMuted' : 'UserUnmuted',
      on ? { muterId, mutedId, mutedAt: this.at() } : { muterId, mutedId, unmutedAt: this.at() },
    );
  }
  block(blockerId: string, blockedId: string, on = true): void {
    this.append(
      streamIds.block(blockerId, blockedId),
      on ? 'UserBlocked' : 'UserUnblocked',
      on ? { blockerId, blockedId, blockedAt: this.at() } : { blockerId, blockedId, unblockedAt: this.at() },
    );
  }
}

export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

/** Every event twice (each stream replayed from a random point), streams interleaved at random, each in order. */
export function twiceShuffled(events: readonly NotificationEvent[], seed: number): NotificationEvent[] {
  const random = seededRandom(seed);
  const streams = new Map<string, NotificationEvent[]>();
  for (const event of events) streams.set(event.streamId, [...(streams.get(event.streamId) ?? []), event]);
  const queues = [...streams.values()].map((stream) => {
    const cut = Math.floor(random() * (stream.length + 1));
    return [...stream.slice(0, cut), ...stream, ...stream.slice(cut)];
  });
  const delivered: NotificationEvent[] = [];
  while (queues.length > 0) {
    const i = Math.floor(random() * queues.length);
    const queue = queues[i] as NotificationEvent[];
    delivered.push(queue.shift() as NotificationEvent);
    if (queue.length === 0) queues.splice(i, 1);
  }
  return delivered;
}

/**
 * A history that gives every field notifications, replies and edges are found by a document to find: likes taken
 * back, mentions edited, a comment deleted with its reply, follows, a mute, a block, a deleted account and post.
 * `values`: every value its events carry, the ones to look each field up by.
 */
export function everyLookupHistory(): { events: NotificationEvent[]; values: Set<string> } {
  const h = new History();
  const [ann, bob, cat, dan, eve] = ['ann', 'bob', 'cat', 'dan', 'eve'].map((name) => h.register(name)) as [
    string,
    string,
    string,
    string,
    string,
  ];
  const post = h.post(ann, [bob, cat]);
  for (const fan of [bob, cat, dan, eve]) h.like(post, ann, fan);
  h.unlike(post, cat);
  const comment = h.comment(post, ann, bob, [dan]);
  const reply = h.reply(comment, post, ann, cat, [eve]);
  h.reply(comment, post, ann, dan);
  h.editCaption(post, ann, [cat]);
  const other = h.post(bob);
  for (const fan of [ann, eve, dan]) h.like(other, bob, fan);
  const gone = h.comment(other, bob, cat);
  h.reply(gone, other, bob, ann);
  h.deleteComment(gone, other, cat);
  h.follow(bob, ann);
  h.follow(cat, ann);
  h.unfollow(bob, ann);
  h.mute(ann, dan);
  h.block(eve, cat);
  h.deleteReply(reply, comment, post, cat);
  h.deleteUser(eve);
  h.deletePost(other, bob);
  const values = new Set(
    h.events.flatMap((event) =>
      Object.values(event.data as object).flatMap((value) => (Array.isArray(value) ? value : [value])),
    ) as string[],
  );
  return { events: h.events, values };
}

/** Documents in order of id: the port promises no order for a lookup. */
export function byId<T extends { _id: string }>(docs: readonly T[]): T[] {
  return [...docs].sort((a, b) => (a._id < b._id ? -1 : 1));
}
