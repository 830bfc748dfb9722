import { rankings as registeredRankings } from '../read-models/registry.js';
import {
  type CheckpointStore,
  type Counter,
  type DocumentStore,
  defaultFeedCap,
  type LikedPosts,
  type ReadModelStore,
} from './document-store.js';
import { likeId } from './keys.js';
import { MemoryDocumentStore } from './memory/documents.js';
import { MemoryFeedStore } from './memory/feeds.js';
import { MemoryPostRankings } from './memory/rankings.js';
import { MemorySearchIndex } from './memory/search.js';
import { MemoryRankingSnapshots } from './memory/snapshots.js';
import type { Ranking } from './rankings.js';

/** What likedByMe reads of a like edge. */
const likedFields = ['liked', 'postId'] as const;

/** likedByMe read from the like edges themselves, one point read each: what memory serves directly. */
class LikedPostsFromEdges implements LikedPosts {
  constructor(private readonly documents: DocumentStore) {}

  async among(userId: string, postIds: readonly string[]): Promise<Set<string>> {
    const edges = await this.documents.getMany(
      'likes',
      postIds.map((postId) => likeId(postId, userId)),
      likedFields,
    );
    return new Set(edges.filter((edge) => edge.liked === true).map((edge) => edge.postId as string));
  }
}

class MemoryCheckpoint implements CheckpointStore {
  private current = 0;
  async position(): Promise<number> {
    return this.current;
  }
  async advance(position: number): Promise<void> {
    if (position > this.current) this.current = position;
  }
}

export interface MemoryReadModelStore extends ReadModelStore {
  readonly documents: MemoryDocumentStore;
  readonly feeds: MemoryFeedStore;
  readonly search: MemorySearchIndex;
  readonly rankings: MemoryPostRankings;
}

/**
 * A fresh in-memory generation keeping `counters` (the read models': registry.ts `counters`) and `rankings`
 * (the registered ones unless told otherwise).
 */
export function createMemoryReadModelStore(options: {
  counters: readonly Counter[];
  rankings?: readonly Ranking[];
  feedCap?: number;
}): MemoryReadModelStore {
  const documents = new MemoryDocumentStore(options.counters);
  return {
    documents,
    feeds: new MemoryFeedStore(options.feedCap ?? defaultFeedCap),
    search: new MemorySearchIndex((id) => {
      const user = documents.peek('users', id);
      return typeof user?.userNameKey === 'string'
        ? { followers: (user.followersCount as number | undefined) ?? 0, userNameKey: user.userNameKey }
        : undefined;
    }),
    liked: new LikedPostsFromEdges(documents),
    snapshots: new MemoryRankingSnapshots(),
    rankings: new MemoryPostRankings(documents, options.rankings ?? registeredRankings),
    checkpoint: new MemoryCheckpoint(),
  };
}
