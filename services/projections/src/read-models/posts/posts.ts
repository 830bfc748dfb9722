import { findHashtags } from '@gram/service-kit';
import {
  applyCreated,
  applyDeleted,
  type Forgotten,
  forgottenFieldsOf,
  hideAuthoredBy,
  settleAuthorDeleted,
} from '../authored.js';
import { isDeletedAccount, isLiveUser } from '../profiles/documents.js';
import { type Counter, defineReadModel } from '../read-model.js';
import { isVisiblePost, livePostsBy, type PostDocument, postsBy, visiblePostsBy } from './documents.js';

const postCount: Counter = {
  collection: 'users',
  field: 'postCount',
  counted: 'posts',
  key: 'authorId',
  filter: livePostsBy,
};

/** What a deleted account's posts keep of their personal fields (see Forgotten), the caption's hashtags with it. */
const forgottenPost: Forgotten = { ...forgottenFieldsOf('PostCreated'), hashtags: [] };

/** Posts: one document per post; each author's postCount. Their place in feeds is the follows read model's. */
export const posts = defineReadModel({
  name: 'posts',
  documents: ['posts'],
  canHandle: ['PostCreated', 'PostEdited', 'PostDeleted', 'UserDeleted'],
  handlers: {
    async PostCreated(e, context, rev) {
      const { postId, authorId, photo, caption, mentions = [], createdAt } = e;
      await applyCreated(
        context,
        'posts',
        postId,
        rev,
        {
          authorId,
          photo,
          caption,
          hashtags: findHashtags(caption),
          mentions,
          createdAt,
          updatedAt: createdAt,
        } satisfies Partial<PostDocument>,
        forgottenPost,
      );
    },
    async PostEdited({ postId, authorId, editedAt, mentions, ...changed }, { documents }, rev) {
      // An edit applied after its author's deletion (another stream, maybe another worker) brings nothing back.
      const forget = (await isDeletedAccount(documents, authorId)) ? forgottenPost : {};
      // A new caption brings its hashtags and mentions (none mentioned: no `mentions`); a photo alone keeps them.
      const captioned =
        changed.caption === undefined
          ? {}
          : { hashtags: findHashtags(changed.caption), mentions: mentions ?? [] };
      await documents.applyRevision('posts', postId, rev, {
        ...changed,
        ...captioned,
        ...forget,
        updatedAt: editedAt,
      } satisfies Partial<PostDocument>);
    },
    PostDeleted: ({ postId }, context, rev) => applyDeleted(context, 'posts', postId, rev),
    UserDeleted: ({ userId }, context) => hideAuthoredBy(context, 'posts', userId, forgottenPost),
  },
  counters: [postCount],
  lists: [
    // an author's page, a followed author's recent posts pulled into a feed, a hot author's merge
    { name: 'visiblePosts', collection: 'posts', key: 'authorId', filter: visiblePostsBy },
    // what leaves a feed on an unfollow or an account's deletion
    { name: 'posts', collection: 'posts', key: 'authorId', filter: postsBy },
  ],
  log: {
    fold(event, _streamId, log) {
      if (event.type === 'PostCreated' || event.type === 'PostDeleted') {
        const { postId, authorId } = event.data;
        log.posts.set(postId, {
          id: postId,
          rev: 0,
          authorId,
          status: event.type === 'PostCreated' ? 'live' : 'deleted',
        });
      }
    },
    settle: (log) => settleAuthorDeleted(log, 'posts'),
    visible: {
      posts: (log) =>
        [...log.posts.values()]
          .filter((post) => isVisiblePost(post) && isLiveUser(log.users.get(post.authorId as string)))
          .map((post) => post.id),
    },
  },
});
