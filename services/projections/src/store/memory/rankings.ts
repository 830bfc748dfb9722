import type { Doc } from '../document-store.js';
import {
  exploreScore,
  type PostRankings,
  type RankedPost,
  type Ranking,
  type RankingName,
  type RankingsDump,
} from '../rankings.js';
import { BTree } from './b-tree.js';
import type { MemoryDocumentStore } from './documents.js';

/** Ascending (score, at, post id): a ranking reads it backwards, best first, as Redis's ZREVRANGE does. */
function compareEntries(a: RankedPost, b: RankedPost): number {
  if (a.score !== b.score) return a.score < b.score ? -1 : 1;
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  return a.postId < b.postId ? -1 : a.postId > b.postId ? 1 : 0;
}

/** Whether `doc` has every field of `membership` (a ranking's filter but its key) at its value. */
function isMember(doc: Readonly<Doc>, membership: readonly [string, unknown][]): boolean {
  for (const [field, value] of membership) if (doc[field] !== value) return false;
  return true;
}

/** One ranking: its name (`<name>:<key>`) and its entries. */
interface Ranked {
  readonly name: string;
  readonly entries: BTree<Placed, undefined>;
}

/** A post's entry in a ranking, naming the ranking (one object per entry: there are a few per post). */
interface Placed extends RankedPost {
  readonly ranking: Ranked;
}

/**
 * The rankings of the embedded mode: a B+ tree per ranking (a sorted array would move every entry after a
 * like's place, and a popular tag or explore holds most posts), and where each post stands in them (so that a
 * refresh takes it out of a tag its edit took off). Entries hold the documents' own id strings: a ranking costs
 * an entry object per post it holds, no string.
 *
 * A refresh only notes the post; the posts noted are ranked from the documents when the rankings are next read
 * (or `settle` is called), each in one synchronous step, which is what makes it atomic here (see
 * PostRankings): as they are then, which is as the last refresh would have found them or later. So a rebuild,
 * which refreshes a post on its creation and on every like, ranks each post once (settled at its end), and a
 * live like costs a note until explore or a tag's top page is read.
 */
export class MemoryPostRankings implements PostRankings {
  /** `<name>:<key>` → its entries, ascending */
  private readonly rankings = new Map<string, Ranked>();
  /** post id → its entries and the rankings they are in (an array: a post is in a few) */
  private readonly placed = new Map<string, Placed[]>();

  /** each ranking with its filter's fields but the key, read once rather than built for every document */
  private readonly definitions: readonly (Ranking & { membership: [string, unknown][] })[];

  constructor(
    private readonly documents: MemoryDocumentStore,
    definitions: readonly Ranking[],
  ) {
    this.definitions = definitions.map((ranking) => ({
      ...ranking,
      membership: Object.entries(ranking.filter('')).filter(([field]) => field !== ranking.keyField),
    }));
  }

  /** posts refreshed since the rankings were last settled */
  private readonly noted = new Set<string>();

  async refresh(postId: string): Promise<void> {
    this.noted.add(postId);
  }

  /** Ranks every post refreshed since the last time from the documents as they are. */
  settle(): void {
    for (const postId of this.noted) this.rank(postId);
    this.noted.clear();
  }

  private rank(postId: string): void {
    const post = this.documents.peek('posts', postId);
    const engagement =
      ((post?.likesCount as number | undefined) ?? 0) + ((post?.commentsCount as number | undefined) ?? 0);
    const wanted = new Map<string, Omit<Placed, 'ranking'>>();
    for (const ranking of this.definitions) {
      const members =
        ranking.post === 'id'
          ? [this.documents.peek(ranking.collection, postId)]
          : this.documents.matching(ranking.collection, { [ranking.post]: postId });
      for (const doc of members) {
        const key = doc?.[ranking.keyField];
        if (!doc || typeof key !== 'string' || !isMember(doc, ranking.membership)) continue;
        const at = doc.at as number;
        wanted.set(`${ranking.name}:${key}`, {
          postId,
          authorId: doc.authorId as string,
          at,
          score: ranking.score === 'engagement' ? engagement : exploreScore(at, engagement),
        });
      }
    }
    const placed: Placed[] = [];
    for (const had of this.placed.get(postId) ?? []) {
      const now = wanted.get(had.ranking.name);
      if (now && compareEntries(now, had) === 0 && now.authorId === had.authorId) {
        placed.push(had);
        wanted.delete(had.ranking.name);
        continue;
      }
      had.ranking.entries.delete(had);
      if (had.ranking.entries.size === 0) this.rankings.delete(had.ranking.name);
    }
    for (const [name, fields] of wanted) {
      let ranking = this.rankings.get(name);
      if (!ranking) {
        ranking = { name, entries: new BTree<Placed, undefined>(undefined, compareEntries) };
        this.rankings.set(name, ranking);
      }
      const entry: Placed = { ...fields, ranking };
      ranking.entries.set(entry, undefined);
      placed.push(entry);
    }
    if (placed.length === 0) this.placed.delete(postId);
    else this.placed.set(postId, placed);
  }

  async range(name: RankingName, key: string, offset: number, limit: number): Promise<RankedPost[]> {
    this.settle();
    const found: RankedPost[] = [];
    const entries = this.rankings.get(`${name}:${key}`)?.entries;
    if (!entries || limit <= 0) return found;
    let skipped = 0;
    for (const [entry] of entries.entriesReversed(undefined, [])) {
      if (skipped++ < offset) continue;
      found.push(entry);
      if (found.length === limit) break;
    }
    return found;
  }

  dump(): RankingsDump {
    this.settle();
    return Object.fromEntries(
      [...this.rankings.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, { entries }]) => [
          name,
          [...entries.keys()].reverse().map((entry): [string, number] => [entry.postId, entry.score]),
        ]),
    );
  }
}
