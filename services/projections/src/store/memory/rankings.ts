import type { Doc } from '../document-store.js';
import {
  exploreScore,
  type PostRankings,
  type RankedPost,
  type Ranking,
  type RankingEntry,
  type RankingName,
  type RankingsDump,
} from '../rankings.js';
import { BTree, treeOfSorted } from './b-tree.js';
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

/** One ranking: its name (`<name>:<key>`) and its entries (replaced whole when the rankings are built). */
interface Ranked {
  readonly name: string;
  entries: BTree<Placed, undefined>;
}

/** A post's entry in a ranking, naming the ranking (one object per entry: there are a few per post). */
interface Placed extends RankedPost {
  readonly ranking: Ranked;
}

/** What a post's entry in a ranking is to be, the ranking named (see wantedOf). */
type Wanted = Omit<Placed, 'ranking'>;

/**
 * The rankings of the embedded mode: a B+ tree per ranking (a sorted array would move every entry after a
 * like's place, and a popular tag or explore holds most posts), and where each post stands in them (so that a
 * refresh takes it out of a tag its edit took off). Entries hold the documents' own id strings: a ranking costs
 * an entry object per post it holds, no string.
 *
 * A refresh only notes the post; the posts noted are ranked from the documents when the rankings are next read
 * (or `settle` is called), each in one synchronous step, which is what makes it atomic here (see
 * PostRankings): as they are then, which is as the last refresh would have found them or later. So a live like
 * costs a note until explore or a tag's top page is read.
 *
 * A rebuild goes further (`rankAllAtSettle`): its refreshes note nothing, and its settle builds every ranking
 * whole from the documents, each tree loaded from its sorted entries.
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
  /** whether the next settle builds every ranking whole (see rankAllAtSettle) */
  private wholesale = false;

  async refresh(postId: string): Promise<void> {
    if (!this.wholesale) this.noted.add(postId);
  }

  /**
   * From now on refreshes note nothing, and the next settle builds every ranking whole from the documents
   * (a rebuild's fold, which refreshes posts on every like, calls it first): the same rankings as ranking each
   * post refreshed (see build), without a note per event or an insert per entry.
   */
  rankAllAtSettle(): void {
    this.wholesale = true;
    this.noted.clear();
  }

  /** Ranks every post refreshed since the last time (every post, after rankAllAtSettle) from the documents. */
  settle(): void {
    if (this.wholesale) {
      this.build();
      this.wholesale = false;
      return;
    }
    for (const postId of this.noted) this.rank(postId);
    this.noted.clear();
  }

  /**
   * A post's entries as the documents now say: `<name>:<key>` → the entry, one per ranking whose member
   * documents of the post say it belongs there (PostRankings.refresh).
   */
  private wantedOf(postId: string): Map<string, Wanted> {
    const engagement = this.engagementOf(postId);
    const wanted = new Map<string, Wanted>();
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
    return wanted;
  }

  /** A post's likes and comments as its document counts them now: what its scores are computed from. */
  private engagementOf(postId: string): number {
    const post = this.documents.peek('posts', postId);
    return (
      ((post?.likesCount as number | undefined) ?? 0) + ((post?.commentsCount as number | undefined) ?? 0)
    );
  }

  private rank(postId: string): void {
    const wanted = this.wantedOf(postId);
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

  /**
   * Every ranking built anew from its member documents: each member (a document of the ranking's collection
   * matching its filter) gives its post the entry `wantedOf` would give it there, computed the same way from
   * the same fields; a post's entries are gathered per ranking, sorted and loaded into the ranking's tree at
   * once. A ranking is the set of its posts' entries, in an order their comparison alone decides, so this is
   * the state ranking each post in turn would leave, which is the live refreshes' state: each post's last
   * refresh came after the last write of what it reads (PostRankings), and read it as it is now. Straight
   * from the documents, without a map of each post's wanted entries: one object per entry, no more.
   */
  private build(): void {
    this.rankings.clear();
    this.placed.clear();
    this.noted.clear();
    const gathered = new Map<Ranked, Placed[]>();
    for (const definition of this.definitions) {
      /** this definition's rankings by key, so that a ranking's name is built once */
      const byKey = new Map<string, Ranked>();
      for (const doc of this.documents.stored(definition.collection)) {
        const key = doc[definition.keyField];
        const postId = definition.post === 'id' ? doc.id : doc[definition.post];
        if (typeof key !== 'string' || typeof postId !== 'string' || !isMember(doc, definition.membership))
          continue;
        let ranking = byKey.get(key);
        if (!ranking) {
          const name = `${definition.name}:${key}`;
          ranking = { name, entries: new BTree<Placed, undefined>(undefined, compareEntries) };
          byKey.set(key, ranking);
          this.rankings.set(name, ranking);
          gathered.set(ranking, []);
        }
        const placed = this.placed.get(postId);
        // A post has one entry in a ranking, as wantedOf keeps one per name (members of one post in one
        // ranking, a tag's place twice, would be of the same post's time and author anyway).
        if (placed?.some((entry) => entry.ranking === ranking)) continue;
        const engagement = this.engagementOf(postId);
        const at = doc.at as number;
        const entry: Placed = {
          postId,
          authorId: doc.authorId as string,
          at,
          score: definition.score === 'engagement' ? engagement : exploreScore(at, engagement),
          ranking,
        };
        (gathered.get(ranking) as Placed[]).push(entry);
        if (placed) placed.push(entry);
        else this.placed.set(postId, [entry]);
      }
    }
    for (const [ranking, entries] of gathered)
      ranking.entries = treeOfSorted(entries.sort(compareEntries), compareEntries);
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

  /**
   * Every entry of every ranking, with its post's engagement, settled first: what the rebuild's export loads
   * (RedisPostRankings.queueLoad).
   */
  *entries(): Generator<RankingEntry> {
    this.settle();
    for (const [postId, placed] of this.placed) {
      const engagement = this.engagementOf(postId);
      for (const { ranking, authorId, at } of placed)
        yield { ranking: ranking.name, postId, authorId, at, engagement };
    }
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
