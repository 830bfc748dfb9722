import { ms } from '../../store/keys.js';
import { isDeletedAccount, isDeletedUser, isLiveUser } from '../profiles/documents.js';
import { type Counter, defineReadModel } from '../read-model.js';
import { isVisiblePost, livePostsBy, type PostDocument } from './documents.js';

const postCount: Counter = {
  collection: 'users',
  field: 'postCount',
  counted: 'posts',
  key: 'authorId',
  filter: livePostsBy,
};

/** Posts: one document per post; each author's postCount. Their place in feeds is the follows read model's. */
export const posts = defineReadModel({
  name: 'posts',
  documents: ['posts'],
  canHandle: ['PostCreated', 'PostEdited', 'PostDeleted', 'UserDeleted'],
  handlers: {
    async PostCreated(e, context, rev) {
      const { documents } = context;
      await documents.applyRevision('posts', e.postId, rev, {
        status: 'live',
        authorId: e.authorId,
        photo: e.photo,
        caption: e.caption,
        createdAt: e.createdAt,
        updatedAt: e.createdAt,
        at: ms(e.createdAt),
        authorDeleted: await isDeletedAccount(documents, e.authorId),
      } satisfies Partial<PostDocument>);
      context.recountLater(postCount, e.authorId);
    },
    async PostEdited({ postId, authorId: _authorId, editedAt, ...changed }, { documents }, rev) {
      await documents.applyRevision('posts', postId, rev, {
        ...changed,
        updatedAt: editedAt,
      } satisfies Partial<PostDocument>);
    },
    async PostDeleted({ postId, authorId }, context, rev) {
      await context.documents.applyRevision('posts', postId, rev, {
        status: 'deleted',
      } satisfies Partial<PostDocument>);
      context.recountLater(postCount, authorId);
    },
    async UserDeleted({ userId }, { documents }) {
      await documents.updateMany('posts', { authorId: userId }, { authorDeleted: true });
    },
  },
  counters: [postCount],
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
    settle(log) {
      for (const post of log.posts.values()) {
        post.authorDeleted = isDeletedUser(log.users.get(post.authorId as string));
      }
    },
    visible: {
      posts: (log) =>
        [...log.posts.values()]
          .filter((post) => isVisiblePost(post) && isLiveUser(log.users.get(post.authorId as string)))
          .map((post) => post.id),
    },
  },
});
