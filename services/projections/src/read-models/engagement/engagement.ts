import { likeId, ms } from '../../store/keys.js';
import { isDeletedAccount, isDeletedUser, isLiveUser } from '../profiles/documents.js';
import { type Counter, defineReadModel, type ProjectionContext } from '../read-model.js';
import {
  type CommentDocument,
  isVisibleComment,
  type LikeEdge,
  likesOf,
  type ReplyDocument,
  visibleCommentsOn,
  visibleRepliesTo,
} from './documents.js';

const likesCount: Counter = {
  collection: 'posts',
  field: 'likesCount',
  counted: 'likes',
  key: 'postId',
  filter: likesOf,
};
const commentsCount: Counter = {
  collection: 'posts',
  field: 'commentsCount',
  counted: 'comments',
  key: 'postId',
  filter: visibleCommentsOn,
};
const replyCount: Counter = {
  collection: 'comments',
  field: 'replyCount',
  counted: 'replies',
  key: 'commentId',
  filter: visibleRepliesTo,
};

async function applyLike(
  { postId, userId }: { postId: string; userId: string },
  liked: { at: number } | undefined,
  context: ProjectionContext,
  rev: number,
): Promise<void> {
  await context.documents.applyRevision('likes', likeId(postId, userId), rev, {
    postId,
    userId,
    liked: liked !== undefined,
    ...(liked ? { at: liked.at } : {}),
    userDeleted: await isDeletedAccount(context.documents, userId),
  } satisfies Partial<LikeEdge>);
  context.recountLater(likesCount, postId);
}

/**
 * Engagement: likes, comments and replies, one document each (a like as an edge per post and user), and the
 * counts they make: a post's likesCount and commentsCount, a comment's replyCount. No handler reads these counts,
 * so they are recounted once per batch of events (ProjectionContext.recountLater).
 */
export const engagement = defineReadModel({
  name: 'engagement',
  documents: ['likes', 'comments', 'replies'],
  canHandle: [
    'PostLiked',
    'PostUnliked',
    'CommentAdded',
    'CommentDeleted',
    'ReplyAdded',
    'ReplyDeleted',
    'UserDeleted',
  ],
  handlers: {
    PostLiked: (e, context, rev) => applyLike(e, { at: ms(e.likedAt) }, context, rev),
    PostUnliked: (e, context, rev) => applyLike(e, undefined, context, rev),
    async CommentAdded(e, context, rev) {
      const { documents } = context;
      await documents.applyRevision('comments', e.commentId, rev, {
        status: 'live',
        postId: e.postId,
        authorId: e.authorId,
        text: e.text,
        createdAt: e.createdAt,
        at: ms(e.createdAt),
        authorDeleted: await isDeletedAccount(documents, e.authorId),
      } satisfies Partial<CommentDocument>);
      context.recountLater(commentsCount, e.postId);
    },
    async CommentDeleted({ commentId, postId }, context, rev) {
      await context.documents.applyRevision('comments', commentId, rev, {
        status: 'deleted',
      } satisfies Partial<CommentDocument>);
      context.recountLater(commentsCount, postId);
    },
    async ReplyAdded(e, context, rev) {
      const { documents } = context;
      await documents.applyRevision('replies', e.replyId, rev, {
        status: 'live',
        commentId: e.commentId,
        postId: e.postId,
        authorId: e.authorId,
        text: e.text,
        createdAt: e.createdAt,
        at: ms(e.createdAt),
        authorDeleted: await isDeletedAccount(documents, e.authorId),
      } satisfies Partial<ReplyDocument>);
      context.recountLater(replyCount, e.commentId);
    },
    async ReplyDeleted({ replyId, commentId }, context, rev) {
      await context.documents.applyRevision('replies', replyId, rev, {
        status: 'deleted',
      } satisfies Partial<ReplyDocument>);
      context.recountLater(replyCount, commentId);
    },
    /** The account's likes, comments and replies stop counting; what they counted for is recounted. */
    async UserDeleted({ userId }, context) {
      const d = context.documents;
      await d.updateMany('comments', { authorId: userId }, { authorDeleted: true });
      await d.updateMany('replies', { authorId: userId }, { authorDeleted: true });
      await d.updateMany('likes', { userId }, { userDeleted: true });
      for (const postId of await d.values('likes', { userId }, 'postId')) {
        context.recountLater(likesCount, postId as string);
      }
      for (const postId of await d.values('comments', { authorId: userId }, 'postId')) {
        context.recountLater(commentsCount, postId as string);
      }
      for (const commentId of await d.values('replies', { authorId: userId }, 'commentId')) {
        context.recountLater(replyCount, commentId as string);
      }
    },
  },
  counters: [likesCount, commentsCount, replyCount],
  log: {
    fold(event, streamId, log) {
      switch (event.type) {
        case 'PostLiked':
        case 'PostUnliked': {
          const { postId, userId } = event.data;
          log.likes.set(streamId, {
            id: streamId,
            rev: 0,
            postId,
            userId,
            liked: event.type === 'PostLiked',
          });
          return;
        }
        case 'CommentAdded': {
          const { commentId, postId, authorId } = event.data;
          log.comments.set(commentId, { id: commentId, rev: 0, postId, authorId, status: 'live' });
          return;
        }
        case 'ReplyAdded': {
          const { replyId, commentId, authorId } = event.data;
          log.replies.set(replyId, { id: replyId, rev: 0, commentId, authorId, status: 'live' });
          return;
        }
        case 'CommentDeleted':
        case 'ReplyDeleted': {
          const document =
            event.type === 'CommentDeleted'
              ? log.comments.get(event.data.commentId)
              : log.replies.get(event.data.replyId);
          if (document) document.status = 'deleted';
          return;
        }
        default:
          return;
      }
    },
    settle(log) {
      const deleted = (userId: unknown) => isDeletedUser(log.users.get(userId as string));
      for (const like of log.likes.values()) like.userDeleted = deleted(like.userId);
      for (const comment of log.comments.values()) comment.authorDeleted = deleted(comment.authorId);
      for (const reply of log.replies.values()) reply.authorDeleted = deleted(reply.authorId);
    },
    visible: {
      comments: (log, visible) =>
        [...log.comments.values()]
          .filter(
            (comment) =>
              isVisibleComment(comment) &&
              isLiveUser(log.users.get(comment.authorId as string)) &&
              visible.posts?.has(comment.postId as string) === true,
          )
          .map((comment) => comment.id),
    },
  },
});
