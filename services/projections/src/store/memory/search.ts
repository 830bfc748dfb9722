import type { SearchIndex, SearchIndexDump, SearchIndexName, TermCount } from '../search-index.js';

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

/** The search indexes of the embedded mode, in this process's memory: every call is atomic, being synchronous. */
export class MemorySearchIndex implements SearchIndex {
  private readonly indexes: Record<SearchIndexName, MemoryIndex> = {
    users: new MemoryIndex(),
    tags: new MemoryIndex(),
  };

  async put(index: SearchIndexName, id: string, terms: readonly string[]): Promise<void> {
    this.indexes[index].put(id, terms);
  }

  async erase(index: SearchIndexName, ids: readonly string[]): Promise<void> {
    for (const id of ids) this.indexes[index].erase(id);
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
