import { NotFound, nextCursor, oldestFirst, type PageRequest, rawPage } from '../../queries/paging.js';
import type { CommentView, Page, ReplyView, UserSummaryView } from '../../queries/views.js';
import type { DocumentStore } from '../../store/document-store.js';
import { visiblePost } from '../posts/queries.js';
import { summaries, summariesOf } from '../profiles/queries.js';
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
): Promise<Page<UserSummaryView>> {
  await visiblePost(documents, postId);
  const raw = await rawPage(documents, 'likes', likesOf(postId), request);
  return {
    items: await summariesOf(documents, raw.slice(0, request.limit), 'userId'),
    nextCursor: nextCursor(raw, request),
  };
}

export async function comments(
  documents: DocumentStore,
  postId: string,
  request: PageRequest,
): Promise<Page<CommentView>> {
  await visiblePost(documents, postId);
  const raw = await rawPage(documents, 'comments', visibleCommentsOn(postId), request, oldestFirst);
  const page = raw.slice(0, request.limit) as CommentDocument[];
  const authors = await summaries(
    documents,
    page.map((comment) => comment.authorId),
  );
  return {
    items: page.flatMap((comment) => {
      const author = authors.get(comment.authorId);
      if (!author) return [];
      const { id, postId, text, createdAt } = comment;
      return [{ id, postId, author, text, replyCount: comment.replyCount ?? 0, createdAt }];
    }),
    nextCursor: nextCursor(raw, request),
  };
}

export async function replies(
  documents: DocumentStore,
  commentId: string,
  request: PageRequest,
): Promise<Page<ReplyView>> {
  const comment = await documents.get('comments', commentId);
  if (!comment || !isVisibleComment(comment)) throw new NotFound(`no comment ${commentId}`);
  await visiblePost(documents, comment.postId as string);
  const raw = await rawPage(documents, 'replies', visibleRepliesTo(commentId), request, oldestFirst);
  const page = raw.slice(0, request.limit) as ReplyDocument[];
  const authors = await summaries(
    documents,
    page.map((reply) => reply.authorId),
  );
  return {
    items: page.flatMap((reply) => {
      const author = authors.get(reply.authorId);
      if (!author) return [];
      const { id, commentId, postId, text, createdAt } = reply;
      return [{ id, commentId, postId, author, text, createdAt }];
    }),
    nextCursor: nextCursor(raw, request),
  };
}
