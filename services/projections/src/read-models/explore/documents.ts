import type { Doc, Filter } from '../../store/document-store.js';

/**
 * A post as explore may offer it (collection `explorable`, id the post id): whether it is live, and its author's
 * standing, which other streams decide. Holds no personal field.
 */
export interface ExplorablePost extends Doc {
  /** always `everyone`: the one explore list is keyed by it (a list is some field's value's) */
  scope: typeof everyone;
  authorId: string;
  /** the post's creation time in ms: the list's sort key, and what its 30 days count from */
  at: number;
  live: boolean;
  authorPrivate: boolean;
  authorDeleted: boolean;
}

export const everyone = 'everyone';

/** The posts explore ranks, newest first: live posts of public accounts not deleted. */
export const explorablePosts = (scope: string): Filter => ({
  scope,
  live: true,
  authorPrivate: false,
  authorDeleted: false,
});

/** Every explorable post of an author, whatever its state: what the author's switch or deletion moves. */
export const explorableBy = (authorId: string): Filter => ({ authorId });
