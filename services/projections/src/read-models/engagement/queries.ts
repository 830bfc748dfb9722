import type { Comment, Page, Reply, UserSummary } from '@gram/service-kit';
import { NotFound, oldestFirst, type PageRequest, rawPage } from '../../queries/paging.js';
import type { DocumentStore } from '../../store/document-store.js';
import { assertNotBlocked } from '../blocks/rules.js';
import { visiblePost } from '../posts/queries.js';
import { accountPage, withAccounts } from '../profiles/queries.js';
import {
  type CommentDocument,
  isVisibleComment,
  likesOf,
  type ReplyDocument,
  visibleCommentsOn,
  visibleRepliesTo,
} from './documents.js';

export async function likers(
  documents: DocumentStore,
  postId: string,
  request: PageRequest,
  viewerId?: string,
): Promise<Page<UserSummary>> {
  await visiblePost(documents, postId, viewerId);
  return accountPage(documents, 'likes', likesOf(postId), 'userId', request, viewerId);
}

export async function comments(
  documents: DocumentStore,
  postId: string,
  request: PageRequest,
  viewerId?: string,
): Promise<Page<Comment>> {
  await visiblePost(documents, postId, viewerId);
  const raw = await rawPage(documents, 'comments', visibleCommentsOn(postId), request, oldestFirst);
  return withAccounts(
    documents,
    raw,
    request,
    'authorId',
    viewerId,
    (comment: CommentDocument, author, mentions) => {
      const { id, postId, text, replyCount, createdAt } = comment;
      return { id, postId, author, text, mentions, replyCount: replyCount ?? 0, createdAt };
    },
  );
}

export async function replies(
  documents: DocumentStore,
  commentId: string,
  request: PageRequest,
  viewerId?: string,
): Promise<Page<Reply>> {
  const comment = await documents.get('comments', commentId);
  if (!comment || !isVisibleComment(comment)) throw new NotFound(`no comment ${commentId}`);
  // A comment by an account in a block with the viewer is in no list the viewer reads: nor are its replies.
  await assertNotBlocked(documents, comment.authorId as string, viewerId, `no comment ${commentId}`);
  await visiblePost(documents, comment.postId as string, viewerId);
  const raw = await rawPage(documents, 'replies', visibleRepliesTo(commentId), request, oldestFirst);
  return withAccounts(
    documents,
    raw,
    request,
    'authorId',
    viewerId,
    (reply: ReplyDocument, author, mentions) => {
      const { id, commentId, postId, text, createdAt } = reply;
      return { id, commentId, postId, author, text, mentions, createdAt };
    },
  );
}
