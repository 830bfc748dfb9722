import type { ReadModelStore } from '../../store/document-store.js';
import { postsBy } from '../posts/documents.js';

/**
 * Drops an account from search at once, before its UserDeleted reaches the read models: identity's deletion
 * calls it (an AccountEraser) and answers only after it, so that nobody finds the account from the moment the
 * deletion answers. Its terms go from user search and its posts' tags from tag search, each with a tombstone
 * that refuses a late write (a ProfileUpdated or PostEdited applied after this), so nothing brings them back;
 * UserDeleted then erases the same, which changes nothing. Idempotent: a retried deletion erases again.
 */
export async function eraseAccountFromSearch(store: ReadModelStore, userId: string): Promise<void> {
  await store.search.erase('users', [userId]);
  const postIds = (await store.documents.values('posts', postsBy(userId), 'id')) as string[];
  await store.search.erase('tags', postIds);
}
