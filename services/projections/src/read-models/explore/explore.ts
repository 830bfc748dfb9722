import { ms } from '../../store/keys.js';
import { defineReadModel } from '../read-model.js';
import { authorStanding, isPrivateNow } from '../standing.js';
import { type ExplorablePost, everyone, explorableBy, explorablePosts } from './documents.js';

/**
 * Explore's candidates: one document per post (collection `explorable`), in the list `explorablePosts` (newest
 * first) while the post is live and its author public and not deleted; a switch to private takes the author's
 * posts out, a switch back puts them in. The list's posts are ranked by exploreScore (`explore`), which the
 * read model `rankings` keeps as the counts move; the 30 days, and what each reader leaves out (its own
 * posts, those of accounts it follows, mutes or is in a block with) are the query's (queries.ts).
 *
 * No counters: the ranking's scores are the posts' likesCount and commentsCount, which engagement keeps and
 * verify recounts.
 */
export const explore = defineReadModel({
  name: 'explore',
  documents: ['explorable'],
  canHandle: ['PostCreated', 'PostDeleted', 'ProfileUpdated', 'UserDeleted'],
  handlers: {
    async PostCreated({ postId, authorId, createdAt }, { documents }, rev) {
      await documents.applyRevision('explorable', postId, rev, {
        scope: everyone,
        authorId,
        at: ms(createdAt),
        live: true,
        ...(await authorStanding(documents, authorId)),
      } satisfies Partial<ExplorablePost>);
    },
    async PostDeleted({ postId }, { documents }, rev) {
      await documents.applyRevision('explorable', postId, rev, {
        live: false,
      } satisfies Partial<ExplorablePost>);
    },
    async ProfileUpdated(e, { documents }) {
      if (e.isPrivate === undefined) return;
      await documents.updateMany('explorable', explorableBy(e.userId), {
        authorPrivate: await isPrivateNow(documents, e.userId),
      } satisfies Partial<ExplorablePost>);
    },
    async UserDeleted({ userId }, { documents }) {
      await documents.updateMany('explorable', explorableBy(userId), {
        authorDeleted: true,
      } satisfies Partial<ExplorablePost>);
    },
  },
  counters: [],
  rankings: [
    {
      name: 'explore',
      collection: 'explorable',
      keyField: 'scope',
      filter: explorablePosts,
      post: 'id',
      score: 'explore',
    },
  ],
  lists: [
    { name: 'explorablePosts', collection: 'explorable', key: 'scope', filter: explorablePosts },
    { name: 'explorableBy', collection: 'explorable', key: 'authorId', filter: explorableBy },
  ],
  log: {
    // No counters to recount (see above).
    fold() {},
  },
});
