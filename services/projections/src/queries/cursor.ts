import { HttpProblem } from '@gram/service-kit';
import type { Position } from '../store/document-store.js';

/**
 * Opaque keyset cursors: the (sort key, id) of the last item of a page, base64url JSON. Paging by key, never by
 * offset, is what keeps a page boundary still while items are added or removed before it.
 */
export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.value, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): Position | undefined {
  const key = decodeRankCursor(cursor, ['number', 'string']);
  return key && { value: key[0] as number, id: key[1] as string };
}

/**
 * The rank of a list sorted on several fields (search results: exact match, followed, followers, userName,
 * id), the last item's, in the same opaque form: the next page holds the items ranked after it.
 */
export type Rank = readonly (string | number)[];

export function encodeRankCursor(rank: Rank): string {
  return Buffer.from(JSON.stringify(rank)).toString('base64url');
}

/** The rank a cursor holds, each field of the type `shape` says; a 400 problem for anything else. */
export function decodeRankCursor(
  cursor: string | undefined,
  shape: readonly ('number' | 'string')[],
): Rank | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === shape.length &&
      shape.every((type, i) =>
        type === 'number' ? Number.isFinite(parsed[i]) : typeof parsed[i] === 'string',
      )
    ) {
      return parsed as Rank;
    }
  } catch {
    // falls through to the 400 below
  }
  throw new HttpProblem(400, 'the cursor is malformed', {
    errors: [{ field: 'cursor', message: 'is not a cursor this API issued' }],
  });
}

/** Ranks in order: field by field, numbers by value, strings by code unit. */
export function compareRanks(a: Rank, b: Rank): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as string | number;
    const y = b[i] as string | number;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
