import type { EventStore, RecordedEvent } from '@gram/event-store';
import { fromStoredEvent, streamIds } from '@gram/events';
import { HttpProblem } from '@gram/service-kit';
import { commentNotFound } from './comments/comment.js';
import { problemOf } from './http-errors.js';
import { postNotFound } from './posts/post.js';

/**
 * A like, comment or reply by `userId` on a post of `postAuthorId`; a reply also answers a comment of
 * `commentAuthorId`. `target` is what the writer addressed: a post (like, comment) or a comment (reply), which is
 * what an account that may not see it is told does not exist.
 */
export interface Engagement {
  userId: string;
  postAuthorId: string;
  /** read with the post's visibility (ContentVisibility), from the author's stream */
  postAuthorIsPrivate: boolean;
  commentAuthorId?: string;
  target: 'post' | 'comment';
}

/** One account's block of another, as the pair's block stream says it stands now. */
export interface Block {
  blockerId: string;
  blockedId: string;
}

/**
 * Whether the engagement may be written, the one place that decides it; throws the answer when it may not:
 * - an owner of what it touches (the post's author, a reply's comment author) blocked the writer: 404 as if the
 *   post (or comment) did not exist, for to the blocked account the blocker does not exist;
 * - the writer blocked one of them: 403 `blocked`;
 * - the post's author is private and the writer is neither it nor an approved follower: 403 `private-account`.
 * Decided from the write side's own streams, as DESIGN.md asks: the pairs' block streams, the author's private
 * flag from its user stream, the follow from the pair's follow stream (its last UserFollowed or UserUnfollowed: a
 * pending request is not a follow, and a follower the author removed no longer follows). A read model could lag
 * behind a block or a removal and let a write through.
 *
 * It runs on every like, so it reads little: the author's privacy came with the post's visibility (one read of
 * the author's stream for both), and the two block streams of each pair are read in one readStreams (one
 * statement on SQLite, an index probe per stream when there is no block, the common case). Only a private
 * author's follower costs one more read.
 */
export async function assertMayEngage(store: EventStore, engagement: Engagement): Promise<void> {
  const { userId, postAuthorId } = engagement;
  const block = await blockBetween(store, userId, ownersOf(engagement));
  if (block) throw blockProblem(block, engagement);
  if (postAuthorId === userId || !engagement.postAuthorIsPrivate) return;
  if (await follows(store, userId, postAuthorId)) return;
  throw new HttpProblem(
    403,
    `account ${postAuthorId} is private: only its approved followers may engage with its posts`,
    { code: 'private-account' },
  );
}

/**
 * For a write that touches another account without the rest of assertMayEngage (taking back a like): refused only
 * by a block, so that to a blocked account the blocker's posts do not exist for this write either.
 */
export async function assertNoBlock(store: EventStore, engagement: Engagement): Promise<void> {
  const block = await blockBetween(store, engagement.userId, ownersOf(engagement));
  if (block) throw blockProblem(block, engagement);
}

/**
 * Called after a checked write was appended: when a block between the writer and an owner of what it touched stands
 * now, it was appended between the check and the append. The reaction to that block read the blocked account's
 * writes before this one existed, so this write takes itself back (`takeBack`, with the account it is recorded
 * on behalf of) and is answered as the block demands: no like, comment or reply across a block survives its race.
 */
export async function takeBackIfBlocked(
  store: EventStore,
  engagement: Engagement,
  takeBack: (actorId: string) => Promise<unknown>,
): Promise<void> {
  const block = await blockBetween(store, engagement.userId, ownersOf(engagement));
  if (!block) return;
  await takeBack(withdrawnBy(block, engagement));
  throw blockProblem(block, engagement);
}

/** The answer to a write refused for `block`: what the blocked side is told differs from what the blocker is. */
function blockProblem(block: Block, engagement: Engagement): HttpProblem {
  if (block.blockedId === engagement.userId) {
    // The answer the writer gets for a post or comment that does not exist, word for word.
    return problemOf(engagement.target === 'post' ? postNotFound() : commentNotFound());
  }
  return new HttpProblem(
    403,
    `you blocked account ${block.blockedId}: unblock it to engage with its content`,
    {
      code: 'blocked',
    },
  );
}

/**
 * Who a write refused after its append is taken back on behalf of: the post's author when it is the blocker (as
 * the reaction to the block records it, so both record the same act), the writer itself otherwise (its request
 * was answered as refused, and a reply's comment author may not delete a reply).
 */
function withdrawnBy(block: Block, engagement: Engagement): string {
  return block.blockerId === engagement.postAuthorId ? engagement.postAuthorId : engagement.userId;
}

function ownersOf({ userId, postAuthorId, commentAuthorId }: Engagement): string[] {
  return [...new Set([postAuthorId, commentAuthorId ?? postAuthorId])].filter((id) => id !== userId);
}

/** The first block between `userId` and one of `others`, a block of the writer first (its answer wins). */
async function blockBetween(store: EventStore, userId: string, others: string[]): Promise<Block | undefined> {
  const pairs = others.flatMap((other) => [
    { blockerId: other, blockedId: userId },
    { blockerId: userId, blockedId: other },
  ]);
  const streams = await store.readStreams(
    pairs.map(({ blockerId, blockedId }) => streamIds.block(blockerId, blockedId)),
  );
  const found = pairs.filter((_, i) => blocks(streams[i] ?? []));
  return found.find((pair) => pair.blockedId === userId) ?? found[0];
}

/** Whether a pair's block stream stands blocked: its last UserBlocked or UserUnblocked. */
function blocks(stream: readonly RecordedEvent[]): boolean {
  let blocked = false;
  for (const recorded of stream) {
    const type = fromStoredEvent(recorded)?.type;
    if (type === 'UserBlocked') blocked = true;
    else if (type === 'UserUnblocked') blocked = false;
  }
  return blocked;
}

async function follows(store: EventStore, followerId: string, followeeId: string): Promise<boolean> {
  let following = false;
  for (const recorded of await store.readStream(streamIds.follow(followerId, followeeId))) {
    const type = fromStoredEvent(recorded)?.type;
    if (type === 'UserFollowed') following = true;
    else if (type === 'UserUnfollowed') following = false;
  }
  return following;
}
