import { NotFound } from '../../queries/paging.js';
import type { DocumentStore } from '../../store/document-store.js';
import { inBlockWith, isBlocking } from './documents.js';

/** The answer to a read of an account's content by the account that blocks it. */
export class Blocked extends Error {
  override readonly name = 'Blocked';
}

/**
 * Refuses a read of what `ownerId` shows (its posts, lists, a post and what is under it, a comment's replies)
 * when either blocks the other: for the account it blocks, the owner does not exist (NotFound with `notFound`,
 * the very message an unknown one gets, so that the answer does not tell a block from nothing); for the
 * blocker, Blocked. Decided before privacy: a blocked viewer must not learn that the account is private.
 */
export async function assertNotBlocked(
  documents: DocumentStore,
  ownerId: string,
  viewerId: string | undefined,
  notFound: string,
): Promise<void> {
  if (viewerId === undefined || viewerId === ownerId) return;
  const [blocksViewer, blockedByViewer] = await Promise.all([
    isBlocking(documents, ownerId, viewerId),
    isBlocking(documents, viewerId, ownerId),
  ]);
  if (blocksViewer) throw new NotFound(notFound);
  if (blockedByViewer) throw new Blocked(`you block account ${ownerId}: unblock it to see its content`);
}

/**
 * The accounts hidden from `viewerId` in every list it reads (likers, comments, replies, followers, following,
 * follow requests, its feed): those in a block with it, either way. Nobody is hidden from an anonymous reader.
 */
export async function hiddenFrom(
  documents: DocumentStore,
  viewerId: string | undefined,
): Promise<ReadonlySet<string>> {
  return viewerId === undefined ? new Set() : inBlockWith(documents, viewerId);
}
