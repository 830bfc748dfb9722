import type { CollectionName, Doc, DocumentStore, Filter, Position, Sort } from '../store/document-store.js';
import { decodeCursor, encodeCursor } from './cursor.js';

/** The answer to "not found": unknown, deleted, or hidden with something deleted. The HTTP layer maps it to 404. */
export class NotFound extends Error {
  override readonly name = 'NotFound';
}

export interface PageRequest {
  limit: number;
  cursor?: string;
}

export const newestFirst = { field: 'at', order: -1 } as const;
export const oldestFirst = { field: 'at', order: 1 } as const;

/**
 * `limit + 1` documents after the cursor: the extra one says whether there is a next page. Every list of the
 * API is such a keyset page over one indexed equality filter (no joins: FerretDB has none).
 */
export function rawPage(
  documents: DocumentStore,
  collection: CollectionName,
  filter: Filter,
  request: PageRequest,
  sort: Sort = newestFirst,
  fields?: readonly string[],
): Promise<Doc[]> {
  return documents.page(collection, filter, sort, decodeCursor(request.cursor), request.limit + 1, fields);
}

/** The cursor after the first `limit` documents of `raw` (a rawPage), or null when there is no more. */
export function nextCursor(raw: readonly Doc[], request: { limit: number }): string | null {
  if (raw.length <= request.limit) return null;
  const last = raw[request.limit - 1] as Doc;
  return encodeCursor({ value: last.at as number, id: last.id } satisfies Position);
}
