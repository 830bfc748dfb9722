import type { Doc, Filter } from '../../store/document-store.js';

/** A post (collection `posts`, id the post id); a placeholder (`rev` -1) holds only counts. */
export interface PostDocument extends Doc {
  status: 'live' | 'deleted';
  authorId: string;
  photo: string;
  caption: string;
  createdAt: string;
  updatedAt: string;
  /** createdAt in ms: the sort key of the author's posts page and of feed entries */
  at: number;
  /** the author's account is deleted: the post counts nowhere and shows nowhere */
  authorDeleted: boolean;
  /** kept by engagement */
  likesCount?: number;
  commentsCount?: number;
}

/** What handlers read of a post to decide. */
export const postFlags = ['status', 'authorDeleted', 'at'] as const;

/** A post the API shows: live, by an account that is not deleted. */
export function isVisiblePost(post: Readonly<Doc>): boolean {
  return post.status === 'live' && post.authorDeleted === false;
}

/** The posts of `authorId` the API shows (isVisiblePost as a filter): their page, feeds, hot authors merged. */
export const visiblePostsBy = (authorId: string): Filter => ({
  authorId,
  status: 'live',
  authorDeleted: false,
});

/** What a user's postCount counts: their live posts (a deleted account's profile is not shown anyway). */
export const livePostsBy = (authorId: string): Filter => ({ authorId, status: 'live' });
