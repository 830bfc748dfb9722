import { findHashtags } from '@gram/service-kit';
import type { DocumentStore } from '../../store/document-store.js';
import { isVisible } from '../authored.js';
import { isLiveUser } from '../profiles/documents.js';
import { accountTerms } from './terms.js';

/** The terms the account is filed under as its document now stands: none unless it is live. */
export async function accountTermsNow(documents: DocumentStore, userId: string): Promise<string[]> {
  const user = await documents.get('users', userId, ['status', 'userName', 'name']);
  if (!user || !isLiveUser(user)) return [];
  return accountTerms(user.userName as string, user.name as string);
}

/**
 * The tags a post counts for in tag search as its document and its author now stand: those of its caption
 * while it is live, its author live and public; none otherwise (a private account's posts are in no tag).
 */
export async function postTagsNow(documents: DocumentStore, postId: string): Promise<string[]> {
  const post = await documents.get('posts', postId, ['status', 'authorDeleted', 'authorId', 'caption']);
  if (!post || !isVisible(post) || typeof post.caption !== 'string') return [];
  const author = await documents.get('users', post.authorId as string, ['status', 'isPrivate']);
  if (!isLiveUser(author) || author?.isPrivate === true) return [];
  return findHashtags(post.caption);
}
