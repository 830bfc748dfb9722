import type { Doc, Filter } from '../../store/document-store.js';
import { type AuthoredDocument, isVisible, visible } from '../authored.js';

/** A like edge (collection `likes`, id likeId(postId, userId)): the like stream's last word. */
export interface LikeEdge extends Doc {
  postId: string;
  userId: string;
  liked: boolean;
  /** when last liked, in ms: the likers page's sort key */
  at?: number;
  userDeleted: boolean;
}

/** A comment (collection `comments`); a placeholder (`rev` -1) holds only its replyCount. */
export interface CommentDocument extends AuthoredDocument {
  postId: string;
  text: string;
  /** the accounts the text mentions, by id, in order (the event's `mentions`) */
  mentions?: string[];
  replyCount?: number;
}

/** A reply to a comment (collection `replies`). */
export interface ReplyDocument extends AuthoredDocument {
  commentId: string;
  postId: string;
  text: string;
  /** the accounts the text mentions, by id, in order (the event's `mentions`) */
  mentions?: string[];
}

/** Every like edge of `userId`, whatever its state. */
export const likesBy = (userId: string): Filter => ({ userId });

/** The likes the API counts and lists: live, by accounts not deleted. */
export const likesOf = (postId: string): Filter => ({ postId, liked: true, userDeleted: false });

/** A comment or reply the API shows: live, by an account that is not deleted. */
export const isVisibleComment = isVisible;

/** The comments of a post the API counts and lists (isVisibleComment as a filter). */
export const visibleCommentsOn = (postId: string): Filter => ({ postId, ...visible });

/** The replies to a comment the API counts and lists (isVisibleComment as a filter). */
export const visibleRepliesTo = (commentId: string): Filter => ({ commentId, ...visible });
