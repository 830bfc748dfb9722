import type { DocumentStore } from '../../store/document-store.js';
import { isFollowing } from './queries.js';

/** The answer to a read of a private account's content by a viewer who is neither it nor an approved follower. */
export class PrivateAccount extends Error {
  override readonly name = 'PrivateAccount';
}

/**
 * Refuses the read unless `viewerId` may see the content of `ownerId`: its posts, lists and what is under its
 * posts. A public account's content is anyone's; a private account's is its own and its approved followers'
 * (a live follow edge: a pending request is not one, a removed follower no longer has one).
 */
export async function assertMaySee(
  documents: DocumentStore,
  ownerId: string,
  viewerId: string | undefined,
): Promise<void> {
  if (viewerId === ownerId) return;
  const owner = await documents.get('users', ownerId, ['isPrivate']);
  if (owner?.isPrivate !== true) return;
  if (viewerId !== undefined && (await isFollowing(documents, viewerId, ownerId))) return;
  throw new PrivateAccount(`account ${ownerId} is private: only its approved followers see its content`);
}
