import { HttpProblem } from '@gram/service-kit';
import type { RankingSnapshots } from '../store/document-store.js';
import type { PostRankings, RankedPost, RankingName } from '../store/rankings.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { PageRequest } from './paging.js';

/**
 * How many ids a paging freezes at a time: the first page takes this many of the maintained ranking's first
 * entries (a range read), whatever the number of posts ranked, and a client paging past them freezes as many
 * again.
 */
export const frozenBlock = 200;

/** The ids of up to `size` entries of a ranking as it stands now, best first, none of `shown`. */
export type TakeRanked = (shown: ReadonlySet<string>, size: number) => Promise<string[]>;

/**
 * One page of a ranking whose scores move while a client pages (explore, a tag's top posts): no keyset cursor
 * is stable there, since a post's key changes as it is liked and may jump over the page boundary, to be shown
 * twice or never. So a paging freezes the ranking a block at a time, in `snapshots`: the first page takes the
 * first `frozenBlock` ids of the ranking as it stands (`take`) and, when there is more than a page, keeps them
 * under a new snapshot id; the cursor is the snapshot's id and the offset of the next page in it (in the
 * cursor's (value, id) pair: value the offset, id the snapshot), and every later page is that slice of the
 * frozen order. A page that reaches the end of what is frozen freezes the next block: the ranking's best ids
 * as it stands then, leaving out every id frozen before (the whole snapshot, not only what came before the
 * boundary). So no page repeats an id: each is in the snapshot once and pages are disjoint slices of it; and
 * none is skipped: a post that rose over the boundary since is in the next block, as it is not in the
 * snapshot. The caller still checks each id against what may be shown now (a post deleted or made private
 * since leaves). Only what a client pages through is frozen, a block at a time, never the whole ranking.
 * A snapshot forgotten (see rankingSnapshotTtlSeconds) answers 400 `cursor-expired`: the client starts again.
 */
export async function rankedPage(
  snapshots: RankingSnapshots,
  request: PageRequest,
  take: TakeRanked,
): Promise<{ ids: readonly string[]; nextCursor: string | null }> {
  const block = Math.max(frozenBlock, request.limit + 1);
  const position = decodeCursor(request.cursor);
  if (position === undefined) {
    const first = await take(new Set(), block);
    if (first.length <= request.limit) return { ids: first, nextCursor: null };
    const snapshotId = await snapshots.save(first);
    return {
      ids: first.slice(0, request.limit),
      nextCursor: encodeCursor({ value: request.limit, id: snapshotId }),
    };
  }
  const { value: offset, id: snapshotId } = position;
  if (!Number.isSafeInteger(offset) || offset < 0) throw malformed();
  const pageFrom = (ids: readonly string[]) => ({
    ids: ids.slice(0, request.limit),
    nextCursor:
      ids.length > request.limit ? encodeCursor({ value: offset + request.limit, id: snapshotId }) : null,
  });
  for (;;) {
    const slice = expiredUnless(await snapshots.slice(snapshotId, offset, request.limit + 1));
    if (slice.length > request.limit) return pageFrom(slice);
    const frozen = expiredUnless(await snapshots.slice(snapshotId, 0, Number.MAX_SAFE_INTEGER));
    if (offset > frozen.length) throw malformed();
    const next = await take(new Set(frozen), block);
    // Extended only if nobody extended it since it was read; else read again what the other request froze.
    if (await snapshots.extend(snapshotId, frozen.length, next))
      return pageFrom([...frozen.slice(offset), ...next]);
  }
}

function malformed(): HttpProblem {
  return new HttpProblem(400, 'the cursor is malformed', {
    errors: [{ field: 'cursor', message: 'is not a cursor this API issued' }],
  });
}

function expiredUnless(ids: string[] | undefined): string[] {
  if (ids !== undefined) return ids;
  throw new HttpProblem(
    400,
    'the ranking this cursor pages through is no longer kept: start from the first page',
    {
      code: 'cursor-expired',
      errors: [{ field: 'cursor', message: 'has expired' }],
    },
  );
}

/**
 * Up to `size` post ids of the ranking `name` of `key` as it stands, best first, none of `shown` and only those
 * `accept` takes; read in chunks from its first entry, at most `shown.size + scanLimit` entries in all.
 */
export async function takeRanked(
  rankings: PostRankings,
  name: RankingName,
  key: string,
  shown: ReadonlySet<string>,
  size: number,
  accept: (entry: RankedPost) => boolean = () => true,
  scanLimit = Number.POSITIVE_INFINITY,
): Promise<string[]> {
  const taken: string[] = [];
  const end = shown.size + scanLimit;
  for (let offset = 0, chunk = shown.size + size; taken.length < size && offset < end; ) {
    const count = Math.min(chunk, end - offset);
    const entries = await rankings.range(name, key, offset, count);
    for (const entry of entries) {
      if (taken.length === size) break;
      if (!shown.has(entry.postId) && accept(entry)) taken.push(entry.postId);
    }
    if (entries.length < count) break;
    offset += count;
    chunk = 2 * size;
  }
  return taken;
}

/** The documents of `docs` in the order of `ids` (a page's), each id once; an id without a document is left out. */
export function inOrder<D extends { id: string }>(ids: readonly string[], docs: readonly D[]): D[] {
  // The memory store answers every id found in the order asked: then they are already in order.
  if (docs.length === ids.length && docs.every((doc, i) => doc.id === ids[i])) return [...docs];
  const byId = new Map(docs.map((doc) => [doc.id, doc]));
  return ids.flatMap((id) => {
    const doc = byId.get(id);
    return doc ? [doc] : [];
  });
}
