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
import { MemorySearchIndex } from './memory/search.js';
import { MemoryRankingSnapshots } from './memory/snapshots.js';

/** likedByMe read from the like edges themselves, one point read each: what memory serves directly. */
class LikedPostsFromEdges implements LikedPosts {
  constructor(private readonly documents: DocumentStore) {}

  async among(userId: string, postIds: readonly string[]): Promise<Set<string>> {
    const edges = await this.documents.getMany(
      'likes',
      postIds.map((postId) => likeId(postId, userId)),
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
}

/** A fresh in-memory generation keeping `counters` (the read models': registry.ts `counters`). */
export function createMemoryReadModelStore(options: {
  counters: readonly Counter[];
  feedCap?: number;
}): MemoryReadModelStore {
  const documents = new MemoryDocumentStore(options.counters);
  return {
    documents,
    feeds: new MemoryFeedStore(options.feedCap ?? defaultFeedCap),
    search: new MemorySearchIndex(),
    liked: new LikedPostsFromEdges(documents),
    snapshots: new MemoryRankingSnapshots(),
    checkpoint: new MemoryCheckpoint(),
  };
}
