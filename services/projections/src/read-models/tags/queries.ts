import type { Page, Post, Tag } from '@gram/service-kit';
import { NotFound, nextCursor, type PageRequest, rawPage } from '../../queries/paging.js';
import { inOrder, rankedPage } from '../../queries/ranked.js';
import {
  type Doc,
  type DocumentStore,
  matchesFilter,
  type ReadModelStore,
} from '../../store/document-store.js';
import { compareKeys } from '../../store/ordering.js';
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
 * - `top`, most likesCount + commentsCount first, then newest: a ranking of the tag's whole list, frozen on
 *   the first page (rankedPage), since its scores move while a client pages. Known cost: the first page reads
 *   every post of the tag (each later page reads its own slice only).
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
    const raw = await rawPage(documents, 'tagged', postsTagged(name), request);
    return {
      items: await placedPostViews(store, raw.slice(0, request.limit), hidden, viewerId),
      nextCursor: nextCursor(raw, request),
    };
  }
  const page = await rankedPage(store.snapshots, request, () => topPlaces(documents, name));
  // Still on the tag now: a place taken off since the ranking was frozen (an edit, a deletion, a switch to
  // private) leaves.
  const places = inOrder(page.ids, await documents.getMany('tagged', page.ids)).filter((place) =>
    matchesFilter(place, postsTagged(name)),
  );
  return { items: await placedPostViews(store, places, hidden, viewerId), nextCursor: page.nextCursor };
}

/** The places of the tag's posts, most likesCount + commentsCount first, then newest (then by place id). */
async function topPlaces(documents: DocumentStore, name: string): Promise<string[]> {
  const places = await documents.findAll('tagged', postsTagged(name), ['postId', 'at']);
  const posts = new Map(
    (
      await documents.getMany(
        'posts',
        places.map((place) => place.postId as string),
        ['likesCount', 'commentsCount'],
      )
    ).map((post) => [post.id, post]),
  );
  const engagement = (place: Doc) => {
    const post = posts.get(place.postId as string);
    return (
      ((post?.likesCount as number | undefined) ?? 0) + ((post?.commentsCount as number | undefined) ?? 0)
    );
  };
  return places
    .map((place) => ({ id: place.id, engagement: engagement(place), value: place.at as number }))
    .sort((a, b) => b.engagement - a.engagement || -compareKeys(a, b))
    .map((place) => place.id);
}

/** The views of the posts `places` name, in their order: shown posts only, none by an account in `hidden`. */
async function placedPostViews(
  store: ReadModelStore,
  places: readonly Doc[],
  hidden: ReadonlySet<string>,
  viewerId: string | undefined,
): Promise<Post[]> {
  const postIds = places.map((place) => place.postId as string);
  const posts = inOrder(postIds, await store.documents.getMany('posts', postIds)).filter(
    (post) => isVisiblePost(post) && !hidden.has(post.authorId as string),
  );
  return postViews(store, posts, viewerId, hidden);
}
