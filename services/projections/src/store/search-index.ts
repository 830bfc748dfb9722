/**
 * The search indexes: prefix-searchable terms, each filing ids. `users` files each account under the terms of
 * its userName and name (read-models/search/terms.ts), `tags` each post under its hashtags while it counts
 * (live, by a live public account). An index holds sets, so writing an id's terms again changes nothing:
 * a redelivered event, or a reconcile run twice, leaves the index as it was.
 *
 * A term's count is the number of ids filed under it (a tag's postCount). An erased id (an account deleted
 * through identity's eraser before its UserDeleted reached the read models) stays out for good: the
 * tombstone refuses every later `put` of it, so a late ProfileUpdated does not file it again.
 */
export type SearchIndexName = 'users' | 'tags';

/** A term with the number of ids filed under it. */
export interface TermCount {
  readonly term: string;
  readonly count: number;
}

export interface SearchIndex {
  /** Files `id` under exactly `terms` (the terms it had besides go), unless `id` was erased. */
  put(index: SearchIndexName, id: string, terms: readonly string[]): Promise<void>;
  /** Drops every term of each of `ids` and refuses their later `put`s, atomically per id. */
  erase(index: SearchIndexName, ids: readonly string[]): Promise<void>;
  /**
   * The ids filed under terms starting with `prefix`, each once, from the first `limit` (term, id) entries in
   * term order: a bounded candidate set, which the query ranks.
   */
  match(index: SearchIndexName, prefix: string, limit: number): Promise<string[]>;
  /** The first `limit` distinct terms starting with `prefix`, in term order, with their counts. */
  terms(index: SearchIndexName, prefix: string, limit: number): Promise<TermCount[]>;
  /** The terms `id` is filed under, in no particular order (verify, tests). */
  termsOf(index: SearchIndexName, id: string): Promise<string[]>;
}

/** Everything an index holds: id → its terms (each sorted), and the erased ids (sorted). */
export interface SearchIndexDump {
  readonly filed: Record<string, string[]>;
  readonly erased: string[];
}
