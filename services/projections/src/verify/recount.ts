import type { RecordedEvent } from '@gram/event-store';
import { fromStoredEvent } from '@gram/events';
import type { DocumentStore } from '../store/document-store.js';

/** The counters of the read models as the event store says they must be, keyed by document id. */
export interface ExpectedCounts {
  users: Map<string, { followersCount: number; followingCount: number; postCount: number }>;
  posts: Map<string, { likesCount: number; commentsCount: number }>;
  comments: Map<string, { replyCount: number }>;
}

/**
 * Recounts every counter straight from the event log, independently of the projection code: fold each stream to
 * its final state, then count by the definitions of API.md (live things only; a deleted account counts nowhere).
 * Only visible documents are expected (a deleted account's profile or a deleted post is not served).
 */
export async function recountFromEvents(events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>) {
  const users = new Map<string, 'live' | 'deleted'>();
  const posts = new Map<string, { authorId: string; live: boolean }>();
  const comments = new Map<string, { postId: string; authorId: string; live: boolean }>();
  const replies = new Map<string, { commentId: string; authorId: string; live: boolean }>();
  const likes = new Map<string, { postId: string; userId: string; liked: boolean }>();
  const follows = new Map<string, { followerId: string; followeeId: string; following: boolean }>();

  for await (const recorded of events) {
    const event = fromStoredEvent(recorded);
    if (!event) continue;
    switch (event.type) {
      case 'UserRegistered':
        users.set(event.data.userId, 'live');
        break;
      case 'UserDeleted':
        users.set(event.data.userId, 'deleted');
        break;
      case 'PostCreated':
        posts.set(event.data.postId, { authorId: event.data.authorId, live: true });
        break;
      case 'PostDeleted':
        posts.set(event.data.postId, { authorId: event.data.authorId, live: false });
        break;
      case 'PostLiked':
      case 'PostUnliked':
        likes.set(recorded.streamId, {
          postId: event.data.postId,
          userId: event.data.userId,
          liked: event.type === 'PostLiked',
        });
        break;
      case 'CommentAdded':
        comments.set(event.data.commentId, {
          postId: event.data.postId,
          authorId: event.data.authorId,
          live: true,
        });
        break;
      case 'CommentDeleted': {
        const comment = comments.get(event.data.commentId);
        if (comment) comment.live = false;
        break;
      }
      case 'ReplyAdded':
        replies.set(event.data.replyId, {
          commentId: event.data.commentId,
          authorId: event.data.authorId,
          live: true,
        });
        break;
      case 'ReplyDeleted': {
        const reply = replies.get(event.data.replyId);
        if (reply) reply.live = false;
        break;
      }
      case 'UserFollowed':
      case 'UserUnfollowed':
        follows.set(recorded.streamId, {
          followerId: event.data.followerId,
          followeeId: event.data.followeeId,
          following: event.type === 'UserFollowed',
        });
        break;
      default:
        break;
    }
  }

  const counts: ExpectedCounts = { users: new Map(), posts: new Map(), comments: new Map() };
  const notDeleted = (userId: string) => users.get(userId) !== 'deleted';
  for (const [userId, status] of users) {
    if (status === 'live') counts.users.set(userId, { followersCount: 0, followingCount: 0, postCount: 0 });
  }
  for (const [postId, post] of posts) {
    if (post.live && users.get(post.authorId) === 'live')
      counts.posts.set(postId, { likesCount: 0, commentsCount: 0 });
    const author = counts.users.get(post.authorId);
    if (author && post.live) author.postCount++;
  }
  for (const [commentId, comment] of comments) {
    const post = counts.posts.get(comment.postId);
    if (comment.live && notDeleted(comment.authorId)) {
      if (post) post.commentsCount++;
      if (post && users.get(comment.authorId) === 'live') counts.comments.set(commentId, { replyCount: 0 });
    }
  }
  for (const reply of replies.values()) {
    const comment = counts.comments.get(reply.commentId);
    if (comment && reply.live && notDeleted(reply.authorId)) comment.replyCount++;
  }
  for (const like of likes.values()) {
    const post = counts.posts.get(like.postId);
    if (post && like.liked && notDeleted(like.userId)) post.likesCount++;
  }
  for (const follow of follows.values()) {
    if (!follow.following) continue;
    const follower = counts.users.get(follow.followerId);
    const followee = counts.users.get(follow.followeeId);
    if (follower && notDeleted(follow.followeeId)) follower.followingCount++;
    if (followee && notDeleted(follow.followerId)) followee.followersCount++;
  }
  return counts;
}

export interface CounterDifference {
  collection: 'users' | 'posts' | 'comments';
  id: string;
  field: string;
  expected: number;
  actual: number | undefined;
  /** which copy differs, where the store keeps documents twice (see DocumentStore.copies) */
  copy?: string;
}

/**
 * Every counter of a visible document whose stored value differs from the recount, in every copy a query may
 * read it from (MongoDB and the Redis copies of the distributed read models; the one store of memory).
 */
export async function compareCounters(
  expected: ExpectedCounts,
  documents: DocumentStore,
  options: { batchSize?: number } = {},
): Promise<CounterDifference[]> {
  if (!documents.copies) return compareCopy(expected, documents, undefined, options.batchSize ?? 500);
  const differences: CounterDifference[] = [];
  for (const [copy, reads] of Object.entries(documents.copies)) {
    differences.push(...(await compareCopy(expected, reads, copy, options.batchSize ?? 500)));
  }
  return differences;
}

async function compareCopy(
  expected: ExpectedCounts,
  documents: Pick<DocumentStore, 'getMany'>,
  copy: string | undefined,
  batchSize: number,
): Promise<CounterDifference[]> {
  const differences: CounterDifference[] = [];
  for (const collection of ['users', 'posts', 'comments'] as const) {
    const entries = [...(expected[collection] as Map<string, Record<string, number>>).entries()];
    for (let i = 0; i < entries.length; i += batchSize) {
      const batch = entries.slice(i, i + batchSize);
      const stored = new Map(
        (
          await documents.getMany(
            collection,
            batch.map(([id]) => id),
          )
        ).map((doc) => [doc.id, doc]),
      );
      for (const [id, counts] of batch) {
        const doc = stored.get(id);
        for (const [field, value] of Object.entries(counts)) {
          const actual = doc ? ((doc[field] as number | undefined) ?? 0) : undefined;
          if (actual !== value) {
            differences.push({ collection, id, field, expected: value, actual, ...(copy ? { copy } : {}) });
          }
        }
      }
    }
  }
  return differences;
}
