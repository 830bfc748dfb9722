import { likeId, ms } from '../../store/keys.js';
import {
  applyCreated,
  applyDeleted,
  forgottenFieldsOf,
  hideAuthoredBy,
  settleAuthorDeleted,
} from '../authored.js';
import { isDeletedAccount, isDeletedUser, isLiveUser } from '../profiles/documents.js';
import { type Counter, defineReadModel, type ProjectionContext } from '../read-model.js';
import {
  type CommentDocument,
  isVisibleComment,
  type LikeEdge,
  likesBy,
  likesOf,
  type ReplyDocument,
  visibleCommentsOn,
  visibleRepliesTo,
} from './documents.js';

/** What a deleted account's comments and replies keep of their text (see Forgotten). */
const forgottenComment = forgottenFieldsOf('CommentAdded');
const forgottenReply = forgottenFieldsOf('ReplyAdded');

const likesCount: Counter = {
  collection: 'posts',
  field: 'likesCount',
  counted: 'likes',
  key: 'postId',
  filter: likesOf,
  accountFlags: { userDeleted: 'userId' },
};
const commentsCount: Counter = {
  collection: 'posts',
  field: 'commentsCount',
  counted: 'comments',
  key: 'postId',
  filter: visibleCommentsOn,
  accountFlags: { authorDeleted: 'authorId' },
};
const replyCount: Counter = {
  collection: 'comments',
  field: 'replyCount',
  counted: 'replies',
  key: 'commentId',
  filter: visibleRepliesTo,
  accountFlags: { authorDeleted: 'authorId' },
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
}

/**
 * Engagement: likes, comments and replies, one document each (a like as an edge per post and user), and the
 * counts they make: a post's likesCount and commentsCount, a comment's replyCount, moved by the store with each
 * write of what they count (see Counter).
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
    async CommentAdded({ commentId, postId, authorId, text, mentions = [], createdAt }, context, rev) {
      await applyCreated(
        context,
        'comments',
        commentId,
        rev,
        { postId, authorId, text, mentions, createdAt } satisfies Partial<CommentDocument>,
        forgottenComment,
      );
    },
    CommentDeleted: ({ commentId }, context, rev) => applyDeleted(context, 'comments', commentId, rev),
    async ReplyAdded({ replyId, commentId, postId, authorId, text, mentions = [], createdAt }, context, rev) {
      await applyCreated(
        context,
        'replies',
        replyId,
        rev,
        { commentId, postId, authorId, text, mentions, createdAt } satisfies Partial<ReplyDocument>,
        forgottenReply,
      );
    },
    ReplyDeleted: ({ replyId }, context, rev) => applyDeleted(context, 'replies', replyId, rev),
    /** The account's likes, comments and replies stop counting (the store moves the counts they were in). */
    async UserDeleted({ userId }, context) {
      await hideAuthoredBy(context, 'comments', userId, forgottenComment);
      await hideAuthoredBy(context, 'replies', userId, forgottenReply);
      await context.documents.updateMany('likes', likesBy(userId), { userDeleted: true });
    },
  },
  counters: [likesCount, commentsCount, replyCount],
  // every like edge of an account, whatever its state: what its deletion flags
  lists: [{ name: 'likeEdgesOf', collection: 'likes', key: 'userId', filter: likesBy }],
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
      for (const like of log.likes.values())
        like.userDeleted = isDeletedUser(log.users.get(like.userId as string));
      settleAuthorDeleted(log, 'comments');
      settleAuthorDeleted(log, 'replies');
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
