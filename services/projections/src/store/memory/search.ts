import {
  type AccountRank,
  compareAccountRanks,
  type RankedAccount,
  rankedPrefixLength,
  type SearchIndex,
  type SearchIndexDump,
  type SearchIndexName,
  type TermCount,
} from '../search-index.js';
import { BTree, treeOfSorted } from './b-tree.js';

/**
 * Code point order, which is Redis's byte order of the same strings in UTF-8: JavaScript's `<` compares UTF-16
 * code units, which puts an astral character (a surrogate pair) before U+E000-U+FFFF.
 */
function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(i) as number;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** The first index of `sorted` whose item is not below `item`. */
function lowerBound(sorted: readonly string[], item: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareCodePoints(sorted[mid] as string, item) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Puts `item` into `sorted` (code point order) unless it is there; answers whether it was added. */
function insertSorted(sorted: string[], item: string): boolean {
  const at = lowerBound(sorted, item);
  if (sorted[at] === item) return false;
  sorted.splice(at, 0, item);
  return true;
}

/** Takes `item` out of `sorted` (code point order) if it is there. */
function removeSorted(sorted: string[], item: string): void {
  const at = lowerBound(sorted, item);
  if (sorted[at] === item) sorted.splice(at, 1);
}

class MemoryIndex {
  readonly termsOf = new Map<string, Set<string>>();
  /**
   * term → its ids in code point order, as Redis orders the members `term\0id`: kept sorted as they are filed,
   * so that a match reads them in order instead of sorting a popular term's ids on every search.
   */
  readonly idsOf = new Map<string, string[]>();
  /** the distinct terms, in code point order */
  readonly sorted: string[] = [];
  readonly erased = new Set<string>();

  put(id: string, terms: readonly string[]): void {
    if (this.erased.has(id)) return;
    const wanted = new Set(terms);
    const had = this.termsOf.get(id) ?? new Set<string>();
    for (const term of had) if (!wanted.has(term)) this.unfile(id, term);
    for (const term of wanted) if (!had.has(term)) this.file(id, term);
    if (wanted.size === 0) this.termsOf.delete(id);
    else this.termsOf.set(id, wanted);
  }

  erase(id: string): void {
    this.put(id, []);
    this.erased.add(id);
  }

  private file(id: string, term: string): void {
    const ids = this.idsOf.get(term);
    if (ids) {
      insertSorted(ids, id);
      return;
    }
    this.idsOf.set(term, [id]);
    insertSorted(this.sorted, term);
  }

  private unfile(id: string, term: string): void {
    const ids = this.idsOf.get(term);
    if (!ids) return;
    removeSorted(ids, id);
    if (ids.length > 0) return;
    this.idsOf.delete(term);
    removeSorted(this.sorted, term);
  }

  /** the distinct terms starting with `prefix`, in order */
  *startingWith(prefix: string): Generator<string> {
    for (let i = lowerBound(this.sorted, prefix); i < this.sorted.length; i++) {
      const term = this.sorted[i] as string;
      if (!term.startsWith(prefix)) return;
      yield term;
    }
  }
}

/** The prefixes of `terms` an account is ranked under: each of up to rankedPrefixLength code points. */
function rankedPrefixes(terms: Iterable<string>): Set<string> {
  const prefixes = new Set<string>();
  for (const term of terms) {
    let end = 0;
    let points = 0;
    for (const char of term) {
      if (points++ === rankedPrefixLength) break;
      end += char.length;
      prefixes.add(term.slice(0, end));
    }
  }
  return prefixes;
}

/** What user search ranks an account by, from its document as it now stands (undefined: no such account). */
export type AccountStanding = (id: string) => { followers: number; userNameKey: string } | undefined;

/**
 * The search indexes of the embedded mode, in this process's memory: every call is atomic, being synchronous.
 * User search's rankings are a B+ tree per prefix (a short prefix holds a large share of the accounts, which
 * a sorted array would move on every follow) of one rank object per account, shared by its prefixes, read from
 * `standing` (the documents) as rankAccount runs.
 */
export class MemorySearchIndex implements SearchIndex {
  private readonly indexes: Record<SearchIndexName, MemoryIndex> = {
    users: new MemoryIndex(),
    tags: new MemoryIndex(),
  };
  /** prefix → the ranks of the accounts under it, in ranking order */
  private readonly ranked = new Map<string, BTree<AccountRank, undefined>>();
  /**
   * account → its rank and the set of terms it was ranked by (the index's own: a put replaces an id's set,
   * never changes it), whose prefixes it is under. Not a set of its prefixes: one per account tripled the
   * index's memory.
   */
  private readonly rankOf = new Map<string, { rank: AccountRank; terms: ReadonlySet<string> }>();
  /**
   * Accounts whose terms or standing may have moved since they were ranked: ranked when user search is next
   * read (or `settle` is called), each in one synchronous step from its terms and document as they are then,
   * which is what makes rankAccount atomic here. A rebuild then ranks each account once, at its end, rather than
   * on its registration and again on every follow.
   */
  private readonly noted = new Set<string>();
  /** whether the next settle ranks every account whole (see rankAllAtSettle) */
  private wholesale = false;

  constructor(private readonly standing: AccountStanding = () => undefined) {}

  async put(index: SearchIndexName, id: string, terms: readonly string[]): Promise<void> {
    this.indexes[index].put(id, terms);
    if (index === 'users' && !this.wholesale) this.noted.add(id);
  }

  async erase(index: SearchIndexName, ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      this.indexes[index].erase(id);
      if (index === 'users' && !this.wholesale) this.noted.add(id);
    }
  }

  async rankAccount(id: string): Promise<void> {
    if (!this.wholesale) this.noted.add(id);
  }

  /**
   * From now on nothing is noted, and the next settle ranks every account whole from its terms and document
   * (a rebuild's fold, which ranks an account again on every follow, calls it first; see build).
   */
  rankAllAtSettle(): void {
    this.wholesale = true;
    this.noted.clear();
  }

  /**
   * Ranks every account noted since the last time (every account, after rankAllAtSettle), from its terms and
   * document as they are.
   */
  settle(): void {
    if (this.wholesale) {
      this.build();
      this.wholesale = false;
      return;
    }
    for (const id of this.noted) this.rank(id);
    this.noted.clear();
  }

  /**
   * Every prefix's ranking built anew: each account filed under some term (no other is ranked) given the rank
   * `rank` would give it now, gathered per prefix, sorted and loaded into the prefix's tree at once. A prefix's
   * ranking is the set of its accounts' ranks, in an order their comparison alone decides, so this is the
   * state ranking each account in turn would leave, which is the live calls' state (see
   * SearchIndex.rankAccount: each account's last one read its terms and document as they are now).
   */
  private build(): void {
    this.ranked.clear();
    this.rankOf.clear();
    this.noted.clear();
    const gathered = new Map<string, AccountRank[]>();
    for (const [id, terms] of this.indexes.users.termsOf) {
      const standing = this.standing(id);
      if (!standing) continue;
      const rank = { id, followers: standing.followers, userNameKey: standing.userNameKey };
      for (const prefix of rankedPrefixes(terms)) {
        const ranks = gathered.get(prefix);
        if (ranks) ranks.push(rank);
        else gathered.set(prefix, [rank]);
      }
      this.rankOf.set(id, { rank, terms });
    }
    for (const [prefix, ranks] of gathered)
      this.ranked.set(prefix, treeOfSorted(ranks.sort(compareAccountRanks), compareAccountRanks));
  }

  private rank(id: string): void {
    const terms = this.indexes.users.termsOf.get(id);
    const standing = terms && this.standing(id);
    const had = this.rankOf.get(id);
    const rank = standing && { id, followers: standing.followers, userNameKey: standing.userNameKey };
    if (had && rank && compareAccountRanks(had.rank, rank) === 0 && had.terms === terms) return;
    if (had) {
      for (const prefix of rankedPrefixes(had.terms)) {
        const ranks = this.ranked.get(prefix);
        ranks?.delete(had.rank);
        if (ranks?.size === 0) this.ranked.delete(prefix);
      }
    }
    if (!rank || !terms) {
      this.rankOf.delete(id);
      return;
    }
    for (const prefix of rankedPrefixes(terms)) {
      let ranks = this.ranked.get(prefix);
      if (!ranks) {
        ranks = new BTree(undefined, compareAccountRanks);
        this.ranked.set(prefix, ranks);
      }
      ranks.set(rank, undefined);
    }
    this.rankOf.set(id, { rank, terms });
  }

  async rankedAccounts(
    prefix: string,
    after: AccountRank | undefined,
    limit: number,
  ): Promise<AccountRank[]> {
    this.settle();
    const found: AccountRank[] = [];
    const ranks = this.ranked.get(prefix);
    if (!ranks || limit <= 0) return found;
    for (const rank of ranks.keys(after)) {
      if (after && compareAccountRanks(rank, after) === 0) continue;
      found.push(rank);
      if (found.length === limit) break;
    }
    return found;
  }

  async accountRanks(ids: readonly string[], prefix: string): Promise<AccountRank[]> {
    this.settle();
    const found: AccountRank[] = [];
    for (const id of ids) {
      const rank = this.rankOf.get(id)?.rank;
      const terms = this.indexes.users.termsOf.get(id);
      if (rank && terms && startsSome(terms, prefix)) found.push(rank);
    }
    return found;
  }

  async match(index: SearchIndexName, prefix: string, limit: number): Promise<string[]> {
    const found = new Set<string>();
    let entries = 0;
    for (const term of this.indexes[index].startingWith(prefix)) {
      for (const id of this.indexes[index].idsOf.get(term) as string[]) {
        if (entries++ === limit) return [...found];
        found.add(id);
      }
    }
    return [...found];
  }

  async terms(index: SearchIndexName, prefix: string, limit: number): Promise<TermCount[]> {
    const found: TermCount[] = [];
    for (const term of this.indexes[index].startingWith(prefix)) {
      if (found.length === limit) break;
      found.push({ term, count: (this.indexes[index].idsOf.get(term) as string[]).length });
    }
    return found;
  }

  async termsOf(index: SearchIndexName, id: string): Promise<string[]> {
    return [...(this.indexes[index].termsOf.get(id) ?? [])];
  }

  /**
   * Every account ranked, with the prefixes it is ranked under, settled first: what the rebuild's export loads
   * (RedisSearchIndex.queueLoadRanks).
   */
  *accountsRanked(): Generator<RankedAccount> {
    this.settle();
    for (const { rank, terms } of this.rankOf.values()) yield { rank, prefixes: rankedPrefixes(terms) };
  }

  /** Every prefix's ranking: prefix → its accounts' ids in ranking order (tests compare two indexes by it). */
  dumpRanks(): Record<string, string[]> {
    this.settle();
    return Object.fromEntries(
      [...this.ranked.entries()]
        .sort(([a], [b]) => compareCodePoints(a, b))
        .map(([prefix, ranks]) => [prefix, [...ranks.keys()].map((rank) => rank.id)]),
    );
  }

  /** What each index holds, in a stable order (tests compare two of them; the rebuild exports it). */
  dump(): Record<SearchIndexName, SearchIndexDump> {
    const dumpOf = (index: MemoryIndex): SearchIndexDump => ({
      filed: Object.fromEntries(
        [...index.termsOf.entries()]
          .sort(([a], [b]) => compareCodePoints(a, b))
          .map(([id, terms]) => [id, [...terms].sort(compareCodePoints)]),
      ),
      erased: [...index.erased].sort(compareCodePoints),
    });
    return { users: dumpOf(this.indexes.users), tags: dumpOf(this.indexes.tags) };
  }
}

function startsSome(terms: Iterable<string>, prefix: string): boolean {
  for (const term of terms) if (term.startsWith(prefix)) return true;
  return false;
}
