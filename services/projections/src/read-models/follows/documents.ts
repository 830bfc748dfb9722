import type { Doc, FeedEntry, Filter, MergingFollower } from '../../store/document-store.js';

/** A follow edge (collection `follows`, id followId(followerId, followeeId)): the follow stream's last word. */
export interface FollowEdge extends Doc {
  followerId: string;
  followeeId: string;
  following: boolean;
  /** a follow request is pending (the followee is private); never with `following` */
  requested?: boolean;
  /** when the pending request was made */
  requestedAt?: string;
  /**
   * when last followed (or, while a request is pending, requested), in ms: the followers, following and follow
   * requests pages' sort key, and a merged author's order
   */
  at?: number;
  followerDeleted: boolean;
  followeeDeleted: boolean;
  /** the followee is hot: its posts are merged into the follower's feed at read time */
  followeeHot: boolean;
}

/** What handlers read of a follow edge they reconcile. */
export const edgeFlags = [
  'followerId',
  'following',
  'followeeHot',
  'followeeDeleted',
  'followerDeleted',
  'at',
] as const;

/** Every follow edge from `followerId`, whatever its state. */
export const edgesFrom = (followerId: string): Filter => ({ followerId });

/** Every follow edge to `followeeId`, whatever its state. */
export const edgesTo = (followeeId: string): Filter => ({ followeeId });

/** The followers the API counts and lists: live follows by accounts not deleted. */
export const followersOf = (followeeId: string): Filter => ({
  followeeId,
  following: true,
  followerDeleted: false,
});

/** The pending follow requests to `followeeId` the API lists: by accounts not deleted. */
export const requestsTo = (followeeId: string): Filter => ({
  followeeId,
  requested: true,
  followerDeleted: false,
});

/** The accounts followed that the API counts and lists: live follows of accounts not deleted. */
export const followeesOf = (followerId: string): Filter => ({
  followerId,
  following: true,
  followeeDeleted: false,
});

/**
 * A follow edge whose followee's posts the follower's feed merges at read time: a live follow of a hot account,
 * neither end deleted.
 */
export function isMergedEdge(edge: Readonly<Doc>): boolean {
  return (
    edge.following === true &&
    edge.followeeHot === true &&
    edge.followeeDeleted === false &&
    edge.followerDeleted === false
  );
}

export function mergingFollowerOf(edge: Readonly<Doc>): MergingFollower {
  return { userId: edge.followerId as string, at: edge.at as number };
}

/** The feed entries of posts read with their sort key; a post without one never reached a feed. */
export function feedEntriesOf(posts: readonly Doc[]): FeedEntry[] {
  return posts.flatMap((post) => (typeof post.at === 'number' ? [{ id: post.id, value: post.at }] : []));
}
