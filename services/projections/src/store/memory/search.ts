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
  private readonly rankOf = new Map<string, Ranked>();
  /**
   * Accounts whose terms or standing may have moved since they were ranked: ranked when user search is next
   * read (or `settle` is called), each in one synchronous step from its terms and document as they are then,
   * which is what makes rankAccount atomic here. A rebuild then ranks each account once, at its end, rather than
   * on its registration and again on every follow.
   */
  private readonly noted = new Set<string>();
  /** whether the next settle ranks every account whole (see rankAllAtSettle) */
  private wholesale = false;
  /** viewer → the terms of the accounts it follows, as its last searches read them (see followedRanks) */
  private readonly followed = new Map<string, FollowedTerms>();
  /** how many followees the kept FollowedTerms hold in all, which `followedKept` bounds */
  private followeesKept = 0;
  /**
   * Moves whenever a ranked account's terms change or it leaves the rankings (or they are built anew): what
   * makes every FollowedTerms kept before it stale. A follow moves only a rank, which Ranked holds in place.
   */
  private termsGeneration = 0;

  /**
   * @param followedKept how many followees, over every viewer, followedRanks keeps the terms of (100 to 150
   *   bytes each, with four terms), the viewers that searched least recently forgotten first
   */
  constructor(
    private readonly standing: AccountStanding = () => undefined,
    private readonly followedKept = 100_000,
  ) {}

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
    this.termsGeneration++;
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
      if (had) this.termsGeneration++;
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
    if (!had) {
      this.rankOf.set(id, { rank, terms });
      return;
    }
    // In place, so that the FollowedTerms holding it read the new rank; new terms make them stale.
    if (!sameTerms(had.terms, terms)) this.termsGeneration++;
    had.rank = rank;
    had.terms = terms;
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

  /**
   * One lookup an id: settled, an account is in rankOf exactly when it is filed under some term and has a
   * document, with the very set of terms the index files it under (see rank), so rankOf alone answers.
   */
  async accountRanks(ids: readonly string[], prefix: string): Promise<AccountRank[]> {
    this.settle();
    const found: AccountRank[] = [];
    for (const id of ids) {
      const ranked = this.rankOf.get(id);
      if (ranked && startsSome(ranked.terms, prefix)) found.push(ranked.rank);
    }
    return found;
  }

  /**
   * accountRanks of the viewer's followees, answered from the terms of its followees kept since its last search
   * (FollowedTerms): a scan of one string rather than a lookup of every followee among every account on every
   * search. They are built anew when the followees are not those kept (a follow or an unfollow since) or a
   * ranked account's terms changed or it left since (termsGeneration); a followee not ranked when they were
   * built is looked up on every search, as it may have been ranked since.
   */
  async followedRanks(
    viewerId: string,
    followees: readonly string[],
    prefix: string,
  ): Promise<AccountRank[]> {
    this.settle();
    if (prefix.includes(separator)) return this.accountRanks(followees, prefix);
    const terms = this.followedTermsOf(viewerId, followees);
    const found: AccountRank[] = [];
    const needle = separator + prefix;
    let last = -1;
    for (let at = terms.text.indexOf(needle); at !== -1; at = terms.text.indexOf(needle, at + 1)) {
      // `at` starts a term (a term holds no separator): its followee's, whose terms are next to each other.
      const followee = terms.followeeAt[lowerBoundOf(terms.termAt, at)] as number;
      if (followee === last) continue;
      last = followee;
      found.push((terms.ranked[followee] as Ranked).rank);
    }
    for (const followee of terms.lookedUp) {
      const ranked = this.rankOf.get(followees[followee] as string);
      if (ranked && startsSome(ranked.terms, prefix)) found.push(ranked.rank);
    }
    return found;
  }

  /** The viewer's FollowedTerms, kept ones when they are still right (see followedRanks), else built anew. */
  private followedTermsOf(viewerId: string, followees: readonly string[]): FollowedTerms {
    const kept = this.followed.get(viewerId);
    this.followed.delete(viewerId);
    if (kept) this.followeesKept -= kept.followees.length;
    const terms =
      kept && kept.generation === this.termsGeneration && sameIds(kept.followees, followees)
        ? kept
        : this.followedTerms(followees);
    // Last in the map's order: the most recently searched, forgotten last.
    this.followed.set(viewerId, terms);
    this.followeesKept += followees.length;
    for (const [viewer, oldest] of this.followed) {
      if (this.followeesKept <= this.followedKept || viewer === viewerId) break;
      this.followed.delete(viewer);
      this.followeesKept -= oldest.followees.length;
    }
    return terms;
  }

  private followedTerms(followees: readonly string[]): FollowedTerms {
    const ranked: Ranked[] = [];
    const lookedUp: number[] = [];
    const termAt: number[] = [];
    const followeeAt: number[] = [];
    const parts: string[] = [];
    let length = 0;
    followees.forEach((id, followee) => {
      const account = this.rankOf.get(id);
      if (!account || [...account.terms].some((term) => term.includes(separator))) {
        lookedUp.push(followee);
        return;
      }
      ranked[followee] = account;
      for (const term of account.terms) {
        termAt.push(length);
        followeeAt.push(followee);
        parts.push(separator, term);
        length += separator.length + term.length;
      }
    });
    return {
      followees: [...followees],
      generation: this.termsGeneration,
      text: parts.join(''),
      termAt: Int32Array.from(termAt),
      followeeAt: Int32Array.from(followeeAt),
      ranked,
      lookedUp,
    };
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

/** An account's place in user search: changed in place as it moves (see FollowedTerms). */
interface Ranked {
  rank: AccountRank;
  /** the set of terms the index files it under (the index's own: a put replaces an id's set) */
  terms: ReadonlySet<string>;
}

/** What FollowedTerms puts before each term: whitespace, which folded terms never hold but as a space. */
const separator = '\n';

/**
 * The terms of a viewer's followees in one string, each after a separator, so that the followees whose terms
 * start with a prefix are the places of separator + prefix in it: a search reads one string, where a lookup of
 * each followee's terms reads a few objects each, spread over the heap.
 */
interface FollowedTerms {
  /** the followees, in the order given, that these are the terms of */
  readonly followees: readonly string[];
  /** termsGeneration when built: stale once it moved */
  readonly generation: number;
  readonly text: string;
  /** where each term starts in `text` (at its separator), in order */
  readonly termAt: Int32Array;
  /** the followee (its place in `followees`) whose term starts there */
  readonly followeeAt: Int32Array;
  /** followee → its Ranked, kept up to date in place (see rank) */
  readonly ranked: Ranked[];
  /** the followees looked up on every search: not ranked when these were built, or with a separator in a term */
  readonly lookedUp: number[];
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameTerms(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const term of a) if (!b.has(term)) return false;
  return true;
}

/** The first index of `sorted` whose number is not below `value`. */
function lowerBoundOf(sorted: ArrayLike<number>, value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] as number) < value) low = mid + 1;
    else high = mid;
  }
  return low;
}
