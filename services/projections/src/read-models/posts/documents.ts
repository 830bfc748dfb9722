import type { Filter } from '../../store/document-store.js';
import { type AuthoredDocument, isVisible, visible } from '../authored.js';

/** A post (collection `posts`, id the post id); a placeholder (`rev` -1) holds only counts. */
export interface PostDocument extends AuthoredDocument {
  photo: string;
  caption: string;
  /** findHashtags(caption): derived from the caption, so forgotten with it */
  hashtags?: string[];
  /** the accounts the caption mentions, by id, in order (the event's `mentions`) */
  mentions?: string[];
  updatedAt: string;
  /** kept by engagement */
  likesCount?: number;
  commentsCount?: number;
}

/** What handlers read of a post to decide. */
export const postFlags = ['status', 'authorDeleted', 'at'] as const;

/** A post the API shows: live, by an account that is not deleted. */
export const isVisiblePost = isVisible;

/** The posts of `authorId` the API shows: their page, their author's followers' feeds, a hot author's merge. */
export const visiblePostsBy = (authorId: string): Filter => ({ authorId, ...visible });

/** Every post of `authorId`, whatever its state: what an unfollow or the author's deletion takes out of feeds. */
export const postsBy = (authorId: string): Filter => ({ authorId });

/** What a user's postCount counts: their live posts (a deleted account's profile is not shown anyway). */
export const livePostsBy = (authorId: string): Filter => ({ authorId, status: 'live' });
