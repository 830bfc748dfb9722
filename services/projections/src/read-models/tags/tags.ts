import { forgotten } from '@gram/personal-data';
import { findHashtags } from '@gram/service-kit';
import { ms } from '../../store/keys.js';
import { defineReadModel, type ProjectionContext } from '../read-model.js';
import { authorStanding, isPrivateNow } from '../standing.js';
import { placesBy, placesOf, postsTagged, type TaggedPost, taggedId } from './documents.js';

/**
 * Writes the places of a post as its stream now says: position i takes the caption's i-th hashtag, and every
 * position the post had beyond them is taken off. Each write is guarded by the post stream's revision, so a
 * redelivered or late creation or edit moves nothing back. A deleted author's post gets its places with their
 * tag forgotten (a tag is derived from the caption, which the deletion forgets), as the deletion leaves those
 * it finds: either order of the two streams ends the same.
 */
async function placePost(
  context: ProjectionContext,
  post: { postId: string; authorId: string; at: number; tags: readonly string[] },
  rev: number,
): Promise<void> {
  const { documents } = context;
  const [standing, places] = await Promise.all([
    authorStanding(documents, post.authorId),
    documents.values('tagged', placesOf(post.postId), 'id'),
  ]);
  const positions = Math.max(post.tags.length, places.length);
  for (let position = 0; position < positions; position++) {
    const tag = post.tags[position];
    await documents.applyRevision(
      'tagged',
      taggedId(post.postId, position),
      rev,
      tag === undefined
        ? ({ carried: false } satisfies Partial<TaggedPost>)
        : ({
            tag: standing.authorDeleted ? forgotten : tag,
            postId: post.postId,
            authorId: post.authorId,
            at: post.at,
            carried: true,
            ...standing,
          } satisfies Partial<TaggedPost>),
    );
  }
}

/**
 * Tag pages: one place per hashtag of a post (collection `tagged`), in the lists `postsTagged` (a tag's page,
 * newest first, and its postCount: the list's size) while the post is live, carries the tag and its author is
 * public and not deleted. A switch to private takes the author's posts out of every tag, a switch back puts them
 * in again. The top order is a ranking of the list's posts by engagement (`tagTop`), which the read model
 * `rankings` keeps as the counts move; blocks are the reader's, applied by the queries (queries.ts).
 *
 * No counters: postCount is the size of the list the page reads, moved by the same atomic write as each place
 * (see RedisIndexes), so the count and the page cannot disagree; the idempotency property test compares the
 * places a shuffled, duplicated delivery builds with one clean pass's.
 */
export const tags = defineReadModel({
  name: 'tags',
  documents: ['tagged'],
  canHandle: ['PostCreated', 'PostEdited', 'PostDeleted', 'ProfileUpdated', 'UserDeleted'],
  handlers: {
    async PostCreated({ postId, authorId, caption, createdAt }, context, rev) {
      await placePost(context, { postId, authorId, at: ms(createdAt), tags: findHashtags(caption) }, rev);
    },
    async PostEdited({ postId, authorId, caption }, context, rev) {
      if (caption === undefined) return;
      const post = await context.documents.get('posts', postId, ['at']);
      if (typeof post?.at !== 'number') return;
      await placePost(context, { postId, authorId, at: post.at, tags: findHashtags(caption) }, rev);
    },
    async PostDeleted({ postId }, { documents }, rev) {
      for (const id of (await documents.values('tagged', placesOf(postId), 'id')) as string[])
        await documents.applyRevision('tagged', id, rev, { carried: false } satisfies Partial<TaggedPost>);
    },
    async ProfileUpdated(e, { documents }) {
      if (e.isPrivate === undefined) return;
      await documents.updateMany('tagged', placesBy(e.userId), {
        authorPrivate: await isPrivateNow(documents, e.userId),
      } satisfies Partial<TaggedPost>);
    },
    /** The account's posts leave every tag, and their places forget the tag (derived from the caption). */
    async UserDeleted({ userId }, { documents }) {
      await documents.updateMany('tagged', placesBy(userId), {
        authorDeleted: true,
        tag: forgotten,
      } satisfies Partial<TaggedPost>);
    },
  },
  counters: [],
  rankings: [
    {
      name: 'tagTop',
      collection: 'tagged',
      keyField: 'tag',
      filter: postsTagged,
      post: 'postId',
      score: 'engagement',
    },
  ],
  lists: [
    { name: 'postsTagged', collection: 'tagged', key: 'tag', filter: postsTagged },
    { name: 'placesOf', collection: 'tagged', key: 'postId', filter: placesOf },
    { name: 'placesBy', collection: 'tagged', key: 'authorId', filter: placesBy },
  ],
  log: {
    // No counters to recount (see above).
    fold() {},
  },
});
