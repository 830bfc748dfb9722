import type { Page, Post } from '@gram/service-kit';
import { newestFirst, type PageRequest } from '../../queries/paging.js';
import { inOrder, rankedPage } from '../../queries/ranked.js';
import {
  type Doc,
  type DocumentStore,
  matchesFilter,
  type ReadModelStore,
} from '../../store/document-store.js';
import { visible } from '../authored.js';
import { inBlockWith } from '../blocks/documents.js';
import { followeesOf } from '../follows/documents.js';
import { mutedBy } from '../mutes/documents.js';
import { isVisiblePost } from '../posts/documents.js';
import { postViews } from '../posts/queries.js';
import { everyone, explorablePosts } from './documents.js';

const hourMs = 60 * 60 * 1_000;
/** Posts older than this never appear in explore (API.md). */
export const exploreWindowMs = 30 * 24 * hourMs;
/**
 * How many of the newest explorable posts a ranking considers. The score's decay (exploreScore) makes an older
 * post outrank a newer one only with its engagement doubled per hour between them, so the newest posts are
 * where the top of the ranking is: this bounds the first page's reads whatever the number of posts.
 */
export const exploreCandidates = 1_000;
/** How many hours of age one doubling of engagement is worth. */
const engagementWeight = 1;

/**
 * A post's explore score: the hour it was published in (UTC hours since the epoch) plus
 * engagementWeight * log2(1 + likesCount + commentsCount). Newer hours rank higher, engagement lifts a post
 * by a whole hour per doubling. Of two posts published within the same hour the hour term is the same
 * integer, and log2(1 + e) strictly increases with e, so the one with more engagement scores more: API.md's
 * rule. (Compared within one hour by engagement itself, see byScore, so that no rounding of the sum can make
 * two different engagements tie.)
 */
export function exploreScore(at: number, engagement: number): number {
  return Math.floor(at / hourMs) + engagementWeight * Math.log2(1 + engagement);
}

interface Ranked {
  id: string;
  at: number;
  engagement: number;
  score: number;
}

/** Highest score first; within one hour most engagement first; then newest, then by id (a total order). */
function byScore(a: Ranked, b: Ranked): number {
  const sameHour = Math.floor(a.at / hourMs) === Math.floor(b.at / hourMs);
  if (sameHour ? a.engagement !== b.engagement : a.score !== b.score)
    return sameHour ? b.engagement - a.engagement : b.score - a.score;
  if (a.at !== b.at) return b.at - a.at;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * Explore as `viewerId` reads it: recent posts of public accounts (their `explorable` list) published in the last
 * 30 days, ranked by exploreScore, without the viewer's own posts nor those of accounts it follows, mutes or is
 * in a block with (either way). The ranking is frozen on the first page (rankedPage): paging never repeats a
 * post while likes move the scores. Each page checks its posts again against what may be shown now (a post
 * deleted, an author turned private, a new follow, mute or block since the first page leaves it).
 */
export async function explore(
  store: ReadModelStore,
  request: PageRequest,
  viewerId: string | undefined,
  now: number,
): Promise<Page<Post>> {
  const { documents } = store;
  const [excluded, hidden] = await leftOutFor(documents, viewerId);
  const since = now - exploreWindowMs;
  const page = await rankedPage(store.snapshots, request, () => rank(documents, excluded, since));
  const shown = inOrder(page.ids, await documents.getMany('explorable', page.ids)).filter((candidate) =>
    mayShow(candidate, excluded, since),
  );
  const posts = inOrder(
    shown.map((candidate) => candidate.id),
    await documents.getMany(
      'posts',
      shown.map((candidate) => candidate.id),
    ),
  ).filter(isVisiblePost);
  return { items: await postViews(store, posts, viewerId, hidden), nextCursor: page.nextCursor };
}

/**
 * The authors whose posts explore leaves out for `viewerId`: itself and the accounts it follows, mutes or is in
 * a block with; and, apart, the last ones (the `hidden` of postViews: they leave mentions too).
 */
async function leftOutFor(
  documents: DocumentStore,
  viewerId: string | undefined,
): Promise<[ReadonlySet<string>, ReadonlySet<string>]> {
  if (viewerId === undefined) return [new Set(), new Set()];
  const [followed, muted, blocks] = await Promise.all([
    documents.values('follows', followeesOf(viewerId), 'followeeId') as Promise<string[]>,
    mutedBy(documents, viewerId),
    inBlockWith(documents, viewerId),
  ]);
  return [new Set([viewerId, ...followed, ...muted, ...blocks]), blocks];
}

function mayShow(candidate: Doc, excluded: ReadonlySet<string>, since: number): boolean {
  return (
    matchesFilter(candidate, explorablePosts(everyone)) &&
    (candidate.at as number) >= since &&
    !excluded.has(candidate.authorId as string)
  );
}

/** What isVisiblePost, the author's check and the score read of a candidate's post. */
const rankedFields = [...Object.keys(visible), 'authorId', 'at', 'likesCount', 'commentsCount'];

/**
 * The ids of the newest explorable posts the viewer may see, by exploreScore. The candidates are the list's
 * keys (creation time, post id), so none is read beyond its post: being in the list is what the list's filter
 * says, and a post's author is its candidate's.
 */
async function rank(
  documents: DocumentStore,
  excluded: ReadonlySet<string>,
  since: number,
): Promise<string[]> {
  const keys = await documents.pageKeys(
    'explorable',
    explorablePosts(everyone),
    newestFirst,
    undefined,
    exploreCandidates,
  );
  const posts = await documents.getMany(
    'posts',
    keys.filter((key) => key.value >= since).map((key) => key.id),
    rankedFields,
  );
  return posts
    .filter((post) => isVisiblePost(post) && !excluded.has(post.authorId as string))
    .map((post) => {
      const at = post.at as number;
      const engagement =
        ((post.likesCount as number | undefined) ?? 0) + ((post.commentsCount as number | undefined) ?? 0);
      return { id: post.id, at, engagement, score: exploreScore(at, engagement) };
    })
    .sort(byScore)
    .map((post) => post.id);
}
