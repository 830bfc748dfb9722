import type { EventStore } from '@gram/event-store';
import { streamIds } from '@gram/events';
import { type CommandResult, handleCommand, isDomainError, loadAggregates } from '@gram/service-kit';
import { type FollowEvent, type FollowState, followDecider, type PairBlocks } from '../follows/follow.js';
import { blockDecider } from './block.js';

/**
 * Whether either of the pair blocks the other, from the two block streams themselves: a write decides on what the
 * store holds now, never on a read model that may lag behind a block made a moment ago.
 */
export async function readPairBlocks(
  store: EventStore,
  followerId: string,
  followeeId: string,
): Promise<PairBlocks> {
  const [byFollower, byFollowee] = await loadAggregates(
    store,
    [streamIds.block(followerId, followeeId), streamIds.block(followeeId, followerId)],
    blockDecider,
  );
  return {
    byFollower: byFollower?.state.status === 'blocked',
    byFollowee: byFollowee?.state.status === 'blocked',
  };
}

/**
 * Ends what a block ends between `blockerId` and `blockedId` on their two follow streams, as the blocker's own
 * acts (actorId: the blocker): its follow unfollowed and its request withdrawn, the blocked account's follow
 * removed and its request declined. Idempotent: what is ended already records nothing, so the block route, a
 * racing write's compensation and the reaction to UserBlocked (each redelivery included) may all run it.
 */
export async function endFollowsOnBlock(
  store: EventStore,
  block: { blockerId: string; blockedId: string; endedAt: string; correlationId: string },
): Promise<CommandResult<FollowState, FollowEvent>[]> {
  const { blockerId, blockedId, endedAt, correlationId } = block;
  const ends = [
    { followerId: blockerId, followeeId: blockedId, blocker: 'follower' as const },
    { followerId: blockedId, followeeId: blockerId, blocker: 'followee' as const },
  ];
  return Promise.all(
    ends.map(async (data) => {
      const result = await handleCommand(
        store,
        streamIds.follow(data.followerId, data.followeeId),
        followDecider,
        { type: 'EndFollowOnBlock', data: { ...data, endedAt } },
        { actorId: blockerId, correlationId },
      );
      // EndFollowOnBlock refuses nothing (follow.ts): an error here is a broken decider.
      if (isDomainError(result)) throw new Error(`EndFollowOnBlock refused: ${result.message}`);
      return result;
    }),
  );
}

/**
 * The second half of a write that starts a follow or a request racing a block: the pair's blocks were checked
 * before the append, and a block appended since (whose own ending of follows may have read the stream before our
 * append) must not leave it standing. Reads the block streams again; when a block is there now, ends the pair's
 * follows for each blocker, and hands back the blocks so the route answers as the block demands.
 */
export async function recheckBlocksAfterAppend(
  store: EventStore,
  pair: { followerId: string; followeeId: string; at: string; correlationId: string },
): Promise<PairBlocks> {
  const { followerId, followeeId, at, correlationId } = pair;
  const blocks = await readPairBlocks(store, followerId, followeeId);
  const blockers = [
    ...(blocks.byFollower ? [{ blockerId: followerId, blockedId: followeeId }] : []),
    ...(blocks.byFollowee ? [{ blockerId: followeeId, blockedId: followerId }] : []),
  ];
  for (const blocker of blockers) await endFollowsOnBlock(store, { ...blocker, endedAt: at, correlationId });
  return blocks;
}
