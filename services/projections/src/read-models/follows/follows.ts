import { followId, ms } from '../../store/keys.js';
import { postsBy } from '../posts/documents.js';
import { isDeletedAccount, isDeletedUser, userFlags } from '../profiles/documents.js';
import { type Counter, defineReadModel, type ProjectionContext } from '../read-model.js';
import {
  edgesFrom,
  edgesTo,
  type FollowEdge,
  feedEntriesOf,
  followeesOf,
  followersOf,
  requestsTo,
} from './documents.js';
import { reconcileFollowFeed, reconcileHotness, reconcilePostInFeeds } from './feeds.js';

const followingCount: Counter = {
  collection: 'users',
  field: 'followingCount',
  counted: 'follows',
  key: 'followerId',
  filter: followeesOf,
  accountFlags: { followeeDeleted: 'followeeId' },
};
const followersCount: Counter = {
  collection: 'users',
  field: 'followersCount',
  counted: 'follows',
  key: 'followeeId',
  filter: followersOf,
  accountFlags: { followerDeleted: 'followerId' },
};

/**
 * What the follow stream's last event says of the pair: following (since `at`), a pending request (made at
 * `at`), or neither. A request is not a follow: it is in no count, no followers list and no feed.
 */
type EdgeState =
  | { following: true; requested: false; at: number }
  | { following: false; requested: true; at: number; requestedAt: string }
  | { following: false; requested: false };

const neither: EdgeState = { following: false, requested: false };

async function applyFollow(
  { followerId, followeeId }: { followerId: string; followeeId: string },
  state: EdgeState,
  context: ProjectionContext,
  rev: number,
): Promise<void> {
  const { documents } = context;
  const followee = await documents.get('users', followeeId, userFlags);
  await documents.applyRevision('follows', followId(followerId, followeeId), rev, {
    followerId,
    followeeId,
    ...state,
    followerDeleted: await isDeletedAccount(documents, followerId),
    followeeDeleted: isDeletedUser(followee),
    followeeHot: followee?.hot === true,
  } satisfies Partial<FollowEdge>);
  await reconcileFolloweeHotness(context, followeeId);
  await reconcileFollowFeed(context, followerId, followeeId);
}

/** The followee's follower count, as the follow's write left it, decides whether it is hot (how its posts reach feeds). */
async function reconcileFolloweeHotness(context: ProjectionContext, followeeId: string) {
  const followee = await context.documents.get('users', followeeId, ['followersCount']);
  const followers = (followee?.followersCount as number | undefined) ?? 0;
  await reconcileHotness(context, followeeId, followers > context.hotAuthorThreshold);
}

/**
 * Follows and home feeds: one edge per (follower, followee), both ends' counts (moved by the store with each
 * edge's write, see Counter), and each user's feed, fanned out on write from the posts of the accounts followed
 * (feeds.ts). Whether an author is hot depends on its follower count, read after each edge's write.
 */
export const follows = defineReadModel({
  name: 'follows',
  documents: ['follows'],
  canHandle: [
    'UserFollowed',
    'UserUnfollowed',
    'FollowRequested',
    'FollowRequestAccepted',
    'FollowRequestDeclined',
    'FollowRequestWithdrawn',
    'PostCreated',
    'PostDeleted',
    'UserDeleted',
  ],
  handlers: {
    UserFollowed: (e, context, rev) =>
      applyFollow(e, { following: true, requested: false, at: ms(e.followedAt) }, context, rev),
    // Whoever ended it (the follower, or the followee removing it): the follow and the feed's posts go.
    UserUnfollowed: (e, context, rev) => applyFollow(e, neither, context, rev),
    FollowRequested: (e, context, rev) =>
      applyFollow(
        e,
        { following: false, requested: true, at: ms(e.requestedAt), requestedAt: e.requestedAt },
        context,
        rev,
      ),
    // The UserFollowed appended with it, one revision on, starts the follow.
    FollowRequestAccepted: (e, context, rev) => applyFollow(e, neither, context, rev),
    FollowRequestDeclined: (e, context, rev) => applyFollow(e, neither, context, rev),
    FollowRequestWithdrawn: (e, context, rev) => applyFollow(e, neither, context, rev),
    PostCreated: (e, context) => reconcilePostInFeeds(context, e.postId, e.authorId),
    PostDeleted: (e, context) => reconcilePostInFeeds(context, e.postId, e.authorId),
    /**
     * The account's edges stop counting at both ends, and its posts leave every feed. Edges written after the
     * deletion are flagged at write time, so either order ends the same.
     */
    async UserDeleted({ userId }, context) {
      const d = context.documents;
      await d.updateMany('follows', edgesFrom(userId), { followerDeleted: true });
      await d.updateMany('follows', edgesTo(userId), { followeeDeleted: true });
      for (const followeeId of await d.values('follows', edgesFrom(userId), 'followeeId')) {
        await reconcileFolloweeHotness(context, followeeId as string);
      }
      const posts = await d.findAll('posts', postsBy(userId), ['at']);
      const followers = (await d.findAll('follows', edgesTo(userId), ['followerId'])).map(
        (edge) => edge.followerId as string,
      );
      await context.feeds.remove(followers, feedEntriesOf(posts));
      await context.feeds.unmergeAuthor(userId, followers);
      await context.feeds.drop(userId);
    },
  },
  counters: [followingCount, followersCount],
  lists: [
    // every edge of an account, whatever its state: what its deletion and its turning hot or cold flag
    { name: 'followEdgesFrom', collection: 'follows', key: 'followerId', filter: edgesFrom },
    { name: 'followEdgesTo', collection: 'follows', key: 'followeeId', filter: edgesTo },
    // the follow requests page of an account
    { name: 'followRequestsTo', collection: 'follows', key: 'followeeId', filter: requestsTo },
  ],
  log: {
    fold(event, streamId, log) {
      if (event.type !== 'UserFollowed' && event.type !== 'UserUnfollowed') return;
      const { followerId, followeeId } = event.data;
      log.follows.set(streamId, {
        id: streamId,
        rev: 0,
        followerId,
        followeeId,
        following: event.type === 'UserFollowed',
      });
    },
    settle(log) {
      for (const edge of log.follows.values()) {
        edge.followerDeleted = isDeletedUser(log.users.get(edge.followerId as string));
        edge.followeeDeleted = isDeletedUser(log.users.get(edge.followeeId as string));
      }
    },
  },
});
