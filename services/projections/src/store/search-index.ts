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

/**
 * Where an account stands in user search's ranking: most followers first, then by userNameKey, then by id.
 * `followers` and `userNameKey` are its document's as the index last ranked it (see rankAccount).
 */
export interface AccountRank {
  readonly id: string;
  readonly followers: number;
  readonly userNameKey: string;
}

/** An account's rank in user search and the prefixes it is ranked under. */
export interface RankedAccount {
  readonly rank: AccountRank;
  readonly prefixes: ReadonlySet<string>;
}

/** AccountRanks in ranking order. */
export function compareAccountRanks(a: AccountRank, b: AccountRank): number {
  if (a.followers !== b.followers) return b.followers - a.followers;
  if (a.userNameKey !== b.userNameKey) return a.userNameKey < b.userNameKey ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The prefixes, up to this many code points, under which the index ranks accounts: a search by one of them is a
 * range read of its ranking. Longer ones match few accounts (a prefix that long nearly names one), which
 * are ranked from their ranks as the index holds them, without their documents.
 */
export const rankedPrefixLength = 6;

/** The first `rankedPrefixLength` code points of `text`. */
export function rankedPrefixOf(text: string): string {
  let end = 0;
  let points = 0;
  for (const char of text) {
    if (points++ === rankedPrefixLength) break;
    end += char.length;
  }
  return text.slice(0, end);
}

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
  /**
   * Ranks the account in user search under every prefix (up to rankedPrefixLength code points) of the terms it
   * is filed under, by its document's followersCount and userNameKey, all as they stand now, in one atomic
   * step: the ranking is derived, so the last call after the last write of any of them (every handler moving
   * them calls it after its write; `put` and `erase` of an account call it themselves) leaves it right,
   * whatever the order of the events. An account filed under no term is ranked nowhere.
   */
  rankAccount(id: string): Promise<void>;
  /**
   * Up to `limit` accounts ranked under `prefix` (of at most rankedPrefixLength code points), best first,
   * strictly after `after` when given: a keyset page of the prefix's ranking.
   */
  rankedAccounts(prefix: string, after: AccountRank | undefined, limit: number): Promise<AccountRank[]>;
  /** The ranks of those of `ids` filed under a term starting with `prefix`, in no particular order. */
  accountRanks(ids: readonly string[], prefix: string): Promise<AccountRank[]>;
  /**
   * accountRanks(followees, prefix), where `followees` are every account `viewerId` follows, as the caller has
   * just read them: user search asks it on every search, so an index may answer it from what it kept of the
   * viewer's followees since its last search (the memory index does), as long as it answers what accountRanks
   * would now.
   */
  followedRanks(viewerId: string, followees: readonly string[], prefix: string): Promise<AccountRank[]>;
}

/** Everything an index holds: id → its terms (each sorted), and the erased ids (sorted). */
export interface SearchIndexDump {
  readonly filed: Record<string, string[]>;
  readonly erased: string[];
}
