import { HttpProblem } from '@gram/service-kit';
import type { RankingSnapshots } from '../store/document-store.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { PageRequest } from './paging.js';

/**
 * One page of a ranking whose scores move while a client pages (explore, a tag's top posts): no keyset cursor
 * is stable there, since a post's key changes as it is liked and may jump over the page boundary, to be shown
 * twice or never. So the first page computes the ranking (`rank`, whole) and, when there is more than a page,
 * freezes it in `snapshots`; the cursor is the snapshot's id and the offset of the next page in it (in the
 * cursor's (value, id) pair: value the offset, id the snapshot), and every later page is that slice of the
 * frozen order. No page then repeats or skips an id of the first ranking, however the scores move; the caller
 * still checks each id against what may be shown now (a post deleted or made private since leaves).
 * A snapshot forgotten (see rankingSnapshotTtlSeconds) answers 400 `cursor-expired`: the client starts again.
 */
export async function rankedPage(
  snapshots: RankingSnapshots,
  request: PageRequest,
  rank: () => Promise<readonly string[]>,
): Promise<{ ids: readonly string[]; nextCursor: string | null }> {
  const position = decodeCursor(request.cursor);
  if (position === undefined) {
    const ranking = await rank();
    const ids = ranking.slice(0, request.limit);
    if (ranking.length <= request.limit) return { ids, nextCursor: null };
    const snapshotId = await snapshots.save(ranking);
    return { ids, nextCursor: encodeCursor({ value: request.limit, id: snapshotId }) };
  }
  const { value: offset, id: snapshotId } = position;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new HttpProblem(400, 'the cursor is malformed', {
      errors: [{ field: 'cursor', message: 'is not a cursor this API issued' }],
    });
  }
  const slice = await snapshots.slice(snapshotId, offset, request.limit + 1);
  if (slice === undefined) {
    throw new HttpProblem(
      400,
      'the ranking this cursor pages through is no longer kept: start from the first page',
      {
        code: 'cursor-expired',
        errors: [{ field: 'cursor', message: 'has expired' }],
      },
    );
  }
  return {
    ids: slice.slice(0, request.limit),
    nextCursor:
      slice.length > request.limit ? encodeCursor({ value: offset + request.limit, id: snapshotId }) : null,
  };
}

/** The documents of `docs` in the order of `ids` (a page's), each id once; an id without a document is left out. */
export function inOrder<D extends { id: string }>(ids: readonly string[], docs: readonly D[]): D[] {
  const byId = new Map(docs.map((doc) => [doc.id, doc]));
  return ids.flatMap((id) => {
    const doc = byId.get(id);
    return doc ? [doc] : [];
  });
}
