import { blockId, ms } from '../../store/keys.js';
import { reconcileFollowFeed } from '../follows/feeds.js';
import { isDeletedAccount } from '../profiles/documents.js';
import { defineReadModel, type ProjectionContext } from '../read-model.js';
import { type BlockEdge, blockEdgesTo, blockersOf, blocksBy } from './documents.js';

async function applyBlock(
  { blockerId, blockedId }: { blockerId: string; blockedId: string },
  blocked: { at: number } | undefined,
  context: ProjectionContext,
  rev: number,
): Promise<void> {
  const { documents } = context;
  await documents.applyRevision('blocks', blockId(blockerId, blockedId), rev, {
    blockerId,
    blockedId,
    blocked: blocked !== undefined,
    ...(blocked ? { at: blocked.at } : {}),
    blockedDeleted: await isDeletedAccount(documents, blockedId),
  } satisfies Partial<BlockEdge>);
  // Both feeds as the block now has them: each account's posts out of the other's feed (a hot one no longer
  // merged), whatever the follow edges say yet (their ends arrive as unfollows, on other streams, in any order);
  // unblocked, back in where a follow still feeds them and no block the other way remains (feeds.ts decides).
  await reconcileFollowFeed(context, blockerId, blockedId);
  await reconcileFollowFeed(context, blockedId, blockerId);
}

/**
 * Blocks: one edge per (blocker, blocked), read by the blocker's GET /users/me/blocks and Profile.blockedByMe,
 * by every query through rules.ts (what the two accounts may read of each other, and whom every list hides from
 * its viewer), and by the home feeds (follows/feeds.ts), which keep each account's posts out of the other's
 * feed. Who blocked whom is in no other response, and reaches this read model on an internal topic only.
 *
 * No counts: what a block ends (follows, requests, the blocked account's likes, comments and replies under the
 * blocker's posts) reaches the read models as ordinary unfollows, unlikes and deletions, which move the counts
 * and which verify recounts like any other; a block itself counts nothing (`log.fold` keeps nothing).
 */
export const blocks = defineReadModel({
  name: 'blocks',
  documents: ['blocks'],
  canHandle: ['UserBlocked', 'UserUnblocked', 'UserDeleted'],
  handlers: {
    UserBlocked: (e, context, rev) => applyBlock(e, { at: ms(e.blockedAt) }, context, rev),
    UserUnblocked: (e, context, rev) => applyBlock(e, undefined, context, rev),
    /** A deleted account leaves the blocks lists; blocks written after the deletion are flagged at write time. */
    async UserDeleted({ userId }, context) {
      await context.documents.updateMany('blocks', blockEdgesTo(userId), { blockedDeleted: true });
    },
  },
  counters: [],
  lists: [
    { name: 'blocksBy', collection: 'blocks', key: 'blockerId', filter: blocksBy },
    { name: 'blockersOf', collection: 'blocks', key: 'blockedId', filter: blockersOf },
    { name: 'blockEdgesTo', collection: 'blocks', key: 'blockedId', filter: blockEdgesTo },
  ],
  log: {
    // No counters to recount (see above).
    fold() {},
  },
});
