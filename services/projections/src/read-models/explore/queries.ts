import type { Page, Post } from '@gram/service-kit';
import type { PageRequest } from '../../queries/paging.js';
import { inOrder, rankedPage, takeRanked } from '../../queries/ranked.js';
import {
  type Doc,
  type DocumentStore,
  matchesFilter,
  type ReadModelStore,
} from '../../store/document-store.js';
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
 * How many entries of the ranking a block of explore reads at most beyond those frozen already, of which the
 * viewer's excluded authors and posts past the 30 days are left out: a reader who follows or mutes the
 * authors of the first thousand gets a shorter explore rather than a read of every post.
 */
export const exploreScanLimit = 1_000;

/**
 * Explore as `viewerId` reads it: recent posts of public accounts published in the last 30 days, by
 * exploreScore, without the viewer's own posts nor those of accounts it follows, mutes or is in a block with
 * (either way). The ranking is kept by the handlers as likes and comments move (store/rankings.ts): a block of
 * it is its first entries that the viewer may see, read in order, and it is frozen a block at a time while the
 * client pages (rankedPage), so paging never repeats a post while likes move the scores. Each page checks its
 * posts again against what may be shown now (a post deleted, an author turned private, a new follow, mute or
 * block since the block was frozen leaves it).
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
  const page = await rankedPage(store.snapshots, request, (shown, size) =>
    takeRanked(
      store.rankings,
      'explore',
      everyone,
      shown,
      size,
      (entry) => entry.at >= since && !excluded.has(entry.authorId),
      exploreScanLimit,
    ),
  );
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
