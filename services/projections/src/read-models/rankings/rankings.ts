import { likesBy } from '../engagement/documents.js';
import { postsBy } from '../posts/documents.js';
import { defineReadModel, type ProjectionContext } from '../read-model.js';

async function refreshEach(context: ProjectionContext, postIds: Iterable<unknown>): Promise<void> {
  for (const postId of new Set(postIds)) await context.rankings.refresh(postId as string);
}

/**
 * The rankings of posts (a tag's top posts, explore: store/rankings.ts), kept current by refreshing a post
 * after every write that moves its score or its membership: its likes and comments (its counts), its
 * creation, edit and deletion (its places on tags, its explorable document), its author's switch to private or
 * back and deletion (every post of the author). An account's deletion also moves the counts of the posts it
 * liked or commented on. Registered after engagement, tags and explore, whose documents a refresh reads.
 *
 * Each refresh sets the post's entries from the documents as they now stand, in one atomic step, so the
 * rankings converge as the documents do whatever the order of the events or their repetition (the
 * idempotency property test compares them). No documents of its own, nothing to recount: the scores are the
 * counts verify recounts.
 */
export const rankings = defineReadModel({
  name: 'rankings',
  documents: [],
  canHandle: [
    'PostCreated',
    'PostEdited',
    'PostDeleted',
    'PostLiked',
    'PostUnliked',
    'CommentAdded',
    'CommentDeleted',
    'ProfileUpdated',
    'UserDeleted',
  ],
  handlers: {
    PostCreated: ({ postId }, context) => context.rankings.refresh(postId),
    PostEdited: ({ postId }, context) => context.rankings.refresh(postId),
    PostDeleted: ({ postId }, context) => context.rankings.refresh(postId),
    PostLiked: ({ postId }, context) => context.rankings.refresh(postId),
    PostUnliked: ({ postId }, context) => context.rankings.refresh(postId),
    CommentAdded: ({ postId }, context) => context.rankings.refresh(postId),
    CommentDeleted: ({ postId }, context) => context.rankings.refresh(postId),
    async ProfileUpdated({ userId, isPrivate }, context) {
      if (isPrivate === undefined) return;
      await refreshEach(context, await context.documents.values('posts', postsBy(userId), 'id'));
    },
    async UserDeleted({ userId }, context) {
      const { documents } = context;
      await refreshEach(context, [
        ...(await documents.values('posts', postsBy(userId), 'id')),
        ...(await documents.values('likes', likesBy(userId), 'postId')),
        ...(await documents.values('comments', { authorId: userId }, 'postId')),
      ]);
    },
  },
  counters: [],
  // A rebuild's fold ranks every post once at its end instead, from the documents as it leaves them.
  builtWholeOnRebuild: true,
  log: {
    // No counts of its own (see above).
    fold() {},
  },
});
