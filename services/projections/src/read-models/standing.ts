import type { DocumentStore } from '../store/document-store.js';
import { isDeletedUser } from './profiles/documents.js';

/** What the public lists (tag pages, explore) read of a post's author: whether it is private, or deleted. */
export interface AuthorStanding {
  authorPrivate: boolean;
  authorDeleted: boolean;
}

/**
 * The author's standing as its profile now has it. A switch to private or back, or the deletion, arriving later
 * (another stream) moves every place of the author's posts (updateMany by author), so either order ends the
 * same. Known limit, as for authored documents (authored.ts): with several workers, a place written right
 * while the author's switch is applied elsewhere may keep the standing it read; the views read the post and its
 * author again, so a deleted account's post never shows, and a private account's counts once too many until
 * its next switch.
 */
export async function authorStanding(documents: DocumentStore, authorId: string): Promise<AuthorStanding> {
  const author = await documents.get('users', authorId, ['status', 'isPrivate']);
  return { authorPrivate: author?.isPrivate === true, authorDeleted: isDeletedUser(author) };
}

/** The current privacy of an account whose ProfileUpdated switched it: read back, so a stale redelivery sets the last word. */
export async function isPrivateNow(documents: DocumentStore, userId: string): Promise<boolean> {
  return (await documents.get('users', userId, ['isPrivate']))?.isPrivate === true;
}
