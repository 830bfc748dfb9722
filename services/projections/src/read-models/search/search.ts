import { edgesFrom } from '../follows/documents.js';
import { postsBy } from '../posts/documents.js';
import { defineReadModel, type ProjectionContext } from '../read-model.js';
import { accountTermsNow, postTagsNow } from './documents.js';

/** Files the account under its terms as its document now stands (profiles applied the event before). */
async function reconcileAccount({ documents, search }: ProjectionContext, userId: string): Promise<void> {
  await search.put('users', userId, await accountTermsNow(documents, userId));
}

/** Files the post under its tags as it and its author now stand (posts applied the event before). */
async function reconcilePost({ documents, search }: ProjectionContext, postId: string): Promise<void> {
  await search.put('tags', postId, await postTagsNow(documents, postId));
}

/** Every post of the author again: a switch to private takes them out of tag search, back to public puts them in. */
async function reconcilePostsOf(context: ProjectionContext, authorId: string): Promise<void> {
  const postIds = (await context.documents.values('posts', postsBy(authorId), 'id')) as string[];
  for (const postId of postIds) await reconcilePost(context, postId);
}

/**
 * Search: user search and tag search, over the search indexes (store/search-index.ts), which hold the
 * plaintext names, userNames and hashtags they are searched by, so that a deleted account's leave with it.
 *
 * Every handler reconciles from the documents as the read models before it (profiles, posts) stored them,
 * never from the event: the index then holds sets decided by the documents' state, so a redelivered or late
 * event, or events of different streams in either order, end at the same index. An account's deletion, here
 * or earlier through identity's eraser (erasure.ts), leaves a tombstone that no later write of it passes.
 *
 * User search also ranks each account under the prefixes of its terms by its followersCount and userName
 * (SearchIndex.rankAccount), re-ranked after every write of its terms and every follow edge's write that
 * moves its followersCount, from the documents as they then stand, so that the ranking converges as they do.
 *
 * No counters: a tag's postCount is the number of posts its index files under it, moved in the same atomic
 * step as the post's tags; verify compares the whole index with one folded from the log (recount.ts).
 */
export const search = defineReadModel({
  name: 'search',
  documents: [],
  canHandle: [
    'UserRegistered',
    'ProfileUpdated',
    'UserDeleted',
    'PostCreated',
    'PostEdited',
    'PostDeleted',
    'UserFollowed',
    'UserUnfollowed',
    'FollowRequested',
    'FollowRequestAccepted',
    'FollowRequestDeclined',
    'FollowRequestWithdrawn',
  ],
  handlers: {
    async UserRegistered({ userId }, context) {
      await reconcileAccount(context, userId);
      // Posts applied before their author's registration (another stream) counted for no tag until now.
      await reconcilePostsOf(context, userId);
    },
    async ProfileUpdated({ userId, isPrivate }, context) {
      await reconcileAccount(context, userId);
      if (isPrivate !== undefined) await reconcilePostsOf(context, userId);
    },
    async UserDeleted({ userId }, context) {
      await context.search.erase('users', [userId]);
      await reconcilePostsOf(context, userId);
      // The accounts it followed lost a follower (follows applied the deletion before).
      for (const followeeId of await context.documents.values('follows', edgesFrom(userId), 'followeeId'))
        await context.search.rankAccount(followeeId as string);
    },
    // A follow edge's write moves the followee's followersCount: its rank in user search follows.
    UserFollowed: ({ followeeId }, { search }) => search.rankAccount(followeeId),
    UserUnfollowed: ({ followeeId }, { search }) => search.rankAccount(followeeId),
    FollowRequested: ({ followeeId }, { search }) => search.rankAccount(followeeId),
    FollowRequestAccepted: ({ followeeId }, { search }) => search.rankAccount(followeeId),
    FollowRequestDeclined: ({ followeeId }, { search }) => search.rankAccount(followeeId),
    FollowRequestWithdrawn: ({ followeeId }, { search }) => search.rankAccount(followeeId),
    PostCreated: ({ postId }, context) => reconcilePost(context, postId),
    PostEdited: ({ postId }, context) => reconcilePost(context, postId),
    PostDeleted: ({ postId }, context) => reconcilePost(context, postId),
  },
  counters: [],
  log: {
    // Nothing kept in documents to recount: the index is compared whole (recount.ts).
    fold() {},
  },
});
