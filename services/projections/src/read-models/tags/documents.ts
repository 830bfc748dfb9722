import type { Doc, Filter } from '../../store/document-store.js';

/**
 * A post's place on a tag page (collection `tagged`, id taggedId(postId, position)): the tag at `position` among
 * the hashtags of the post's caption, as the post stream last said (a caption's edit moves each position to its
 * new tag, or takes it off), and the author's standing, which other streams decide. The id names the position,
 * not the tag: the tag is derived from the caption, personal data the author's deletion forgets, and an id
 * cannot be forgotten.
 */
export interface TaggedPost extends Doc {
  tag: string;
  postId: string;
  authorId: string;
  /** the post's creation time in ms: the recent page's sort key */
  at: number;
  /** the live post's caption carries the tag (false once the post is deleted or the edit took the tag off) */
  carried: boolean;
  authorPrivate: boolean;
  authorDeleted: boolean;
}

export const taggedId = (postId: string, position: number) => `${postId}_${position}`;

/**
 * The posts a tag page shows and its postCount counts: live posts carrying the tag, of public accounts not
 * deleted. Blocks are the reader's own and are applied at read time (queries.ts).
 */
export const postsTagged = (tag: string): Filter => ({
  tag,
  carried: true,
  authorPrivate: false,
  authorDeleted: false,
});

/** Every place of a post, whatever its state: what an edit of its caption or its deletion moves. */
export const placesOf = (postId: string): Filter => ({ postId });

/** Every place of an author's posts: what the author's switch to private or back, or deletion, moves. */
export const placesBy = (authorId: string): Filter => ({ authorId });
