import type { CollectionName, Filter } from './document-store.js';

/**
 * Rankings of posts kept by the store, ordered structures the handlers keep current so that a ranked page
 * (a tag's top posts, explore) is a range read of its first entries instead of a rank of every post:
 * - `tagTop`, one per tag: score likesCount + commentsCount;
 * - `explore`, one: score exploreScore(at, likesCount + commentsCount).
 * Ties: newest first (the post's `at`), then by post id, descending, as Redis orders equal scores by member.
 *
 * A post's entries are derived, never incremented: `refresh` reads, in one atomic step, the post's counts and
 * the documents that say which rankings it belongs to (its places on tags, its explorable document), and sets
 * its entries from them. Whatever order the events come in, and however often, the last refresh after the last
 * write that moves any of them (every such handler refreshes after its write) reads the final state: the
 * rankings converge as the documents do. Reading and writing in one step is what makes that hold with
 * handlers running side by side (a refresh that read stale counts cannot write after one that read newer).
 */
export type RankingName = 'tagTop' | 'explore';

/**
 * A ranking's members: documents of `collection` matching `filter(key)` (`key`, the value of the field
 * `keyField`, names the ranking among those of its name: a tag). `post` names the field of a member naming its
 * post (`id` when the document's id is the post's), `score` how it is scored.
 */
export interface Ranking {
  readonly name: RankingName;
  readonly collection: CollectionName;
  readonly keyField: string;
  readonly filter: (key: string) => Filter;
  readonly post: string;
  readonly score: 'engagement' | 'explore';
}

/** A post's entry in a ranking, as a range read answers it. */
export interface RankedPost {
  readonly postId: string;
  readonly authorId: string;
  /** the post's creation time in ms */
  readonly at: number;
  readonly score: number;
}

export interface PostRankings {
  /** Sets the post's entries in every ranking from what the store holds of it now, in one atomic step. */
  refresh(postId: string): Promise<void>;
  /** The entries [offset, offset + limit) of the ranking `name` of `key` (a tag), best first. */
  range(name: RankingName, key: string, offset: number, limit: number): Promise<RankedPost[]>;
}

/** A post's entry in a ranking (`<name>:<key>`), with its post's engagement, which its score is computed from. */
export interface RankingEntry {
  readonly ranking: string;
  readonly postId: string;
  readonly authorId: string;
  readonly at: number;
  readonly engagement: number;
}

/** What every ranking holds, best first: `<name>:<key>` → [post id, score] (tests compare two stores by it). */
export type RankingsDump = Record<string, [string, number][]>;

const hourMs = 60 * 60 * 1_000;

/**
 * A post's explore score: the hour it was published in (UTC hours since the epoch) plus
 * log2(1 + likesCount + commentsCount). Newer hours rank higher, engagement lifts a post by a whole hour per
 * doubling. Of two posts published within the same hour the hour term is the same integer, and log2(1 + e)
 * strictly increases with e, so the one with more engagement scores more: API.md's rule (up to engagements of
 * about 10^10, where consecutive values of the logarithm fall within a double's rounding of the sum).
 * Redis computes it in Lua as ln(1 + e) / ln 2, which may differ from Math.log2 in the last bit: never for
 * the order of two different engagements of one hour.
 */
export function exploreScore(at: number, engagement: number): number {
  return Math.floor(at / hourMs) + Math.log2(1 + engagement);
}
