import type { EventStore, RecordedEvent } from '@gram/event-store';
import { type EventOfType, fromStoredEvent, streamIds, topicOf } from '@gram/events';
import type { SubscribeOptions } from '@gram/messaging';
import { type CommandContext, handleCommand, isDomainError } from '@gram/service-kit';
import { commentDecider } from './comments/comment.js';
import { likeDecider } from './likes/like.js';
import { replyDecider } from './replies/reply.js';

export const contentReactionsGroupId = 'content-reactions';

export interface ContentReactionsOptions {
  /** the event store as it is stored: the reaction reads no personal field */
  store: EventStore;
  /** the clock the removals are stamped with */
  now?: () => string;
  /** the consumer group (default `content-reactions`): one per deployment of content */
  groupId?: string;
}

/**
 * What content does when another service's event ends something under its posts: on UserBlocked {A, B}, B's likes,
 * comments and replies under A's posts are removed, for good (an unblock brings nothing back).
 *
 * It lives in content because content owns the streams it appends to (`like-*`, `comment-*`, `reply-*`), and
 * decides on each with its own deciders, as a request would. It is fed like the read side, at least once: in
 * distributed mode by a Kafka consumer group of its own on the internal relations topic (main.ts, KAFKA_BROKERS),
 * in embedded mode by a subscription on the embedded projections' in-process bus (apps/embedded). A redelivery
 * finds everything already removed and records nothing; a block between accounts this store never saw (a broker
 * shared with other systems) finds nothing to remove.
 */
export function contentReactions(options: ContentReactionsOptions): SubscribeOptions {
  const { store, now = () => new Date().toISOString(), groupId = contentReactionsGroupId } = options;
  const topic = topicOf('UserBlocked');
  if (topic === undefined) throw new Error('UserBlocked travels on no topic');
  return {
    groupId,
    topics: [topic],
    handler: async (message) => {
      // Mutes and unblocks share the topic; an unblock brings nothing back.
      if (message.type !== 'UserBlocked') return;
      const { blockerId, blockedId } = message.data as EventOfType<'UserBlocked'>['data'];
      await removeEngagementUnderPosts(store, {
        authorId: blockerId,
        userId: blockedId,
        before: message.position,
        now,
        context: { actorId: blockerId, correlationId: message.id },
      });
    },
  };
}

/**
 * Removes `userId`'s likes, comments and replies under `authorId`'s posts that were written before the global
 * position `before` (the block's): found among the events `userId` caused (each carries its post's author), each
 * ended on its own stream on the post author's behalf (`context`). Writes after the block are not this reaction's:
 * one that raced the block took itself back (engagement.ts), and one made after an unblock is allowed again, so a
 * late redelivery of the block must leave it, and a like's removal names the like it ends (`likedAt`).
 */
export async function removeEngagementUnderPosts(
  store: EventStore,
  removal: { authorId: string; userId: string; before: number; now: () => string; context: CommandContext },
): Promise<void> {
  const { authorId, userId, before, now, context } = removal;
  /** per post, the time of the user's last like of it before the block */
  const likes = new Map<string, string>();
  const comments: string[] = [];
  const replies: string[] = [];
  for await (const recorded of eventsCausedBy(store, userId, before)) {
    const event = fromStoredEvent(recorded);
    if (event?.type === 'PostLiked' && event.data.postAuthorId === authorId) {
      likes.set(event.data.postId, event.data.likedAt);
    } else if (event?.type === 'CommentAdded' && event.data.postAuthorId === authorId) {
      comments.push(event.data.commentId);
    } else if (event?.type === 'ReplyAdded' && event.data.postAuthorId === authorId) {
      replies.push(event.data.replyId);
    }
  }
  for (const [postId, likedAt] of likes) {
    decided(
      await handleCommand(
        store,
        streamIds.like(postId, userId),
        likeDecider,
        { type: 'RemoveLike', data: { postId, userId, likedAt, unlikedAt: now() } },
        context,
      ),
    );
  }
  for (const commentId of comments) {
    decided(
      await handleCommand(
        store,
        streamIds.comment(commentId),
        commentDecider,
        { type: 'RemoveComment', data: { commentId, deletedBy: authorId, deletedAt: now() } },
        context,
      ),
    );
  }
  for (const replyId of replies) {
    decided(
      await handleCommand(
        store,
        streamIds.reply(replyId),
        replyDecider,
        { type: 'RemoveReply', data: { replyId, deletedBy: authorId, deletedAt: now() } },
        context,
      ),
    );
  }
}

/** The events `actorId` caused before the global position `before`, page after page. */
async function* eventsCausedBy(
  store: EventStore,
  actorId: string,
  before: number,
): AsyncGenerator<RecordedEvent> {
  let after: number | undefined;
  for (;;) {
    const page = await store.readByActor(actorId, {
      ...(after === undefined ? {} : { after }),
      maxCount: 500,
    });
    for (const recorded of page) {
      if (recorded.position >= before) return;
      yield recorded;
    }
    const last = page.at(-1);
    if (last === undefined) return;
    after = last.position;
  }
}

/**
 * A removal the decider refused is a bug (the post's author may always remove what is under its posts): it fails
 * the message, which is retried and then dead-lettered, rather than passing for done.
 */
function decided(outcome: unknown): void {
  if (isDomainError(outcome)) throw new Error(`a removal was refused: ${outcome.code}: ${outcome.message}`);
}
