import type { Page, Post, Tag } from '@gram/service-kit';
import { NotFound, newestFirst, nextCursor, type PageRequest, rawPage } from '../../queries/paging.js';
import { inOrder, rankedPage, takeRanked } from '../../queries/ranked.js';
import type { Doc, DocumentStore, ReadModelStore } from '../../store/document-store.js';
import { hiddenFrom } from '../blocks/rules.js';
import { isVisiblePost } from '../posts/documents.js';
import { postViews } from '../posts/queries.js';
import { postsTagged } from './documents.js';

export type TagOrder = 'recent' | 'top';

/**
 * How many live posts of public accounts carry `name` (a normalized tag): the size of its page's list, one
 * read (ZCARD in Redis). What a tag's postCount is wherever it is shown (GET /tags/:tag, tag search).
 */
export function tagPostCount(documents: DocumentStore, name: string): Promise<number> {
  return documents.count('tagged', postsTagged(name));
}

/** The tag and its postCount; NotFound when no post shown on tag pages carries it. */
export async function tag(documents: DocumentStore, name: string): Promise<Tag> {
  const postCount = await tagPostCount(documents, name);
  if (postCount === 0) throw new NotFound(`no post carries #${name}`);
  return { name, postCount };
}

/**
 * The posts of a tag page as `viewerId` reads them, the accounts in a block with it left out (so a page may
 * hold fewer than `limit` posts and still have a next one).
 * - `recent`, newest first: a keyset page of the tag's list by (creation time, place id), keys that never
 *   change, so a post added or removed while a client pages moves no boundary.
 * - `top`, most likesCount + commentsCount first, then newest: the tag's ranking, which the handlers keep as
 *   the counts move (store/rankings.ts), frozen a block at a time while a client pages (rankedPage), since its
 *   scores move meanwhile. A page reads a range of the ranking and its own posts, whatever the tag's size.
 */
export async function taggedPosts(
  store: ReadModelStore,
  name: string,
  order: TagOrder,
  request: PageRequest,
  viewerId: string | undefined,
): Promise<Page<Post>> {
  const { documents } = store;
  const [count, hidden] = await Promise.all([tagPostCount(documents, name), hiddenFrom(documents, viewerId)]);
  if (count === 0) throw new NotFound(`no post carries #${name}`);
  if (order === 'recent') {
    // Of each place, its post and what the cursor is made of: the posts are read next.
    const raw = await rawPage(documents, 'tagged', postsTagged(name), request, newestFirst, ['postId', 'at']);
    const postIds = raw.slice(0, request.limit).map((place) => place.postId as string);
    return {
      items: await shownPostViews(store, postIds, hidden, viewerId),
      nextCursor: nextCursor(raw, request),
    };
  }
  const page = await rankedPage(store.snapshots, request, (shown, size) =>
    takeRanked(store.rankings, 'tagTop', name, shown, size),
  );
  // Still on the tag now: a post whose caption lost the tag since its block was frozen, or whose author turned
  // private, leaves (a deleted one leaves in shownPostViews).
  const posts = inOrder(page.ids, await documents.getMany('posts', page.ids));
  const authors = await documents.getMany(
    'users',
    [...new Set(posts.map((post) => post.authorId as string))],
    ['isPrivate'],
  );
  const privateAuthors = new Set(authors.filter((user) => user.isPrivate === true).map((user) => user.id));
  const onTag = posts.filter(
    (post) =>
      (post.hashtags as string[] | undefined)?.includes(name) && !privateAuthors.has(post.authorId as string),
  );
  return {
    items: await postViews(store, visibleTo(onTag, hidden), viewerId, hidden),
    nextCursor: page.nextCursor,
  };
}

/** The posts shown to a reader: live ones, none by an account in `hidden`. */
function visibleTo(posts: readonly Doc[], hidden: ReadonlySet<string>): Doc[] {
  return posts.filter((post) => isVisiblePost(post) && !hidden.has(post.authorId as string));
}

/** The views of the posts of `postIds`, in their order: shown posts only, none by an account in `hidden`. */
async function shownPostViews(
  store: ReadModelStore,
  postIds: readonly string[],
  hidden: ReadonlySet<string>,
  viewerId: string | undefined,
): Promise<Post[]> {
  const posts = inOrder(postIds, await store.documents.getMany('posts', postIds));
  return postViews(store, visibleTo(posts, hidden), viewerId, hidden);
}
