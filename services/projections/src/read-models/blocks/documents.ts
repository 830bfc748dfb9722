import type { Doc, DocumentStore, Filter } from '../../store/document-store.js';
import { blockId } from '../../store/keys.js';

/** A block edge (collection `blocks`, id blockId(blockerId, blockedId)): the block stream's last word. */
export interface BlockEdge extends Doc {
  blockerId: string;
  blockedId: string;
  blocked: boolean;
  /** when last blocked, in ms: the blocks page's sort key (newest first) */
  at?: number;
  blockedDeleted: boolean;
}

/** The accounts a user blocks, as GET /users/me/blocks lists them: live blocks of accounts not deleted. */
export const blocksBy = (blockerId: string): Filter => ({ blockerId, blocked: true, blockedDeleted: false });

/** The accounts blocking a user now: with blocksBy, every account in a block with it. */
export const blockersOf = (blockedId: string): Filter => ({ blockedId, blocked: true });

/** Every block edge to an account, whatever its state: what its deletion flags. */
export const blockEdgesTo = (blockedId: string): Filter => ({ blockedId });

/** Whether `blockerId` blocks `blockedId` now (blockedByMe, and which answer a read of either gets). */
export async function isBlocking(
  documents: DocumentStore,
  blockerId: string,
  blockedId: string,
): Promise<boolean> {
  return (await documents.get('blocks', blockId(blockerId, blockedId), ['blocked']))?.blocked === true;
}

/**
 * The accounts in a block with `userId`, either way, as a set: one range read of each of its two lists (Redis
 * sorted sets in the distributed store, indexes in memory), side by side, so that a list or a fan-out checks
 * each account with a Set lookup rather than a read per account. A deleted account blocked by `userId` is
 * left out: it shows nowhere anyway.
 */
export async function inBlockWith(documents: DocumentStore, userId: string): Promise<Set<string>> {
  const [blocked, blockers] = await Promise.all([
    documents.values('blocks', blocksBy(userId), 'blockedId'),
    documents.values('blocks', blockersOf(userId), 'blockerId'),
  ]);
  return new Set([...blocked, ...blockers] as string[]);
}

/** Whether either account blocks the other now: two reads by id, side by side. */
export async function areInBlock(documents: DocumentStore, one: string, other: string): Promise<boolean> {
  const [either, or] = await Promise.all([
    isBlocking(documents, one, other),
    isBlocking(documents, other, one),
  ]);
  return either || or;
}
