import { matchesFilter } from '../document-store.js';
import {
  exploreScore,
  type PostRankings,
  type RankedPost,
  type Ranking,
  type RankingName,
  type RankingsDump,
} from '../rankings.js';
import type { MemoryDocumentStore } from './documents.js';

/** Ascending (score, at, post id): a ranking reads it backwards, best first, as Redis's ZREVRANGE does. */
function compareEntries(a: RankedPost, b: RankedPost): number {
  if (a.score !== b.score) return a.score < b.score ? -1 : 1;
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  return a.postId < b.postId ? -1 : a.postId > b.postId ? 1 : 0;
}

/** The first index of `entries` whose entry is not below `entry`. */
function lowerBound(entries: readonly RankedPost[], entry: RankedPost): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareEntries(entries[mid] as RankedPost, entry) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * The rankings of the embedded mode: a sorted array per ranking, and where each post stands in them (so that a
 * refresh takes it out of a tag its edit took off). A refresh reads the documents and writes its entries in
 * one synchronous step, which is what makes it atomic here (see PostRankings). Entries hold the documents' own
 * id strings: a ranking costs an entry object per post it holds, no string.
 */
export class MemoryPostRankings implements PostRankings {
  /** `<name>:<key>` → entries, ascending */
  private readonly rankings = new Map<string, RankedPost[]>();
  /** post id → `<name>:<key>` → its entry there */
  private readonly placed = new Map<string, Map<string, RankedPost>>();

  constructor(
    private readonly documents: MemoryDocumentStore,
    private readonly definitions: readonly Ranking[],
  ) {}

  async refresh(postId: string): Promise<void> {
    const post = this.documents.peek('posts', postId);
    const engagement =
      ((post?.likesCount as number | undefined) ?? 0) + ((post?.commentsCount as number | undefined) ?? 0);
    const wanted = new Map<string, RankedPost>();
    for (const ranking of this.definitions) {
      const members =
        ranking.post === 'id'
          ? [this.documents.peek(ranking.collection, postId)]
          : this.documents.matching(ranking.collection, { [ranking.post]: postId });
      for (const doc of members) {
        const key = doc?.[ranking.keyField];
        if (!doc || typeof key !== 'string' || !matchesFilter(doc, ranking.filter(key))) continue;
        const at = doc.at as number;
        wanted.set(`${ranking.name}:${key}`, {
          postId,
          authorId: doc.authorId as string,
          at,
          score: ranking.score === 'engagement' ? engagement : exploreScore(at, engagement),
        });
      }
    }
    const placed = new Map<string, RankedPost>();
    for (const [name, entry] of this.placed.get(postId) ?? []) {
      const now = wanted.get(name);
      if (now && compareEntries(now, entry) === 0 && now.authorId === entry.authorId) {
        placed.set(name, entry);
        wanted.delete(name);
      } else this.remove(name, entry);
    }
    for (const [name, entry] of wanted) {
      this.insert(name, entry);
      placed.set(name, entry);
    }
    if (placed.size === 0) this.placed.delete(postId);
    else this.placed.set(postId, placed);
  }

  private insert(name: string, entry: RankedPost): void {
    let entries = this.rankings.get(name);
    if (!entries) {
      entries = [];
      this.rankings.set(name, entries);
    }
    entries.splice(lowerBound(entries, entry), 0, entry);
  }

  private remove(name: string, entry: RankedPost): void {
    const entries = this.rankings.get(name);
    if (!entries) return;
    const at = lowerBound(entries, entry);
    if (entries[at] === entry) entries.splice(at, 1);
    if (entries.length === 0) this.rankings.delete(name);
  }

  async range(name: RankingName, key: string, offset: number, limit: number): Promise<RankedPost[]> {
    const entries = this.rankings.get(`${name}:${key}`) ?? [];
    const found: RankedPost[] = [];
    for (let i = entries.length - 1 - offset; i >= 0 && found.length < limit; i--)
      found.push(entries[i] as RankedPost);
    return found;
  }

  dump(): RankingsDump {
    return Object.fromEntries(
      [...this.rankings.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, entries]) => [
          name,
          [...entries].reverse().map((entry): [string, number] => [entry.postId, entry.score]),
        ]),
    );
  }
}
