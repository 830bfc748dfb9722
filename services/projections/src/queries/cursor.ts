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
  if (cursor === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === 'number' &&
      Number.isFinite(parsed[0]) &&
      typeof parsed[1] === 'string'
    ) {
      return { value: parsed[0], id: parsed[1] };
    }
  } catch {
    // falls through to the 400 below
  }
  throw new HttpProblem(400, 'the cursor is malformed', {
    errors: [{ field: 'cursor', message: 'is not a cursor this API issued' }],
  });
}
