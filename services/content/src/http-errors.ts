import { DomainError, HttpProblem } from '@gram/service-kit';
import type { CommentErrorCode } from './comments/comment.js';
import type { LikeErrorCode } from './likes/like.js';
import type { PostErrorCode } from './posts/post.js';
import type { ReplyErrorCode } from './replies/reply.js';

export type ContentErrorCode = PostErrorCode | LikeErrorCode | CommentErrorCode | ReplyErrorCode;

/** The one place where the content service turns a rule of its domain into an HTTP status. */
const statusOf: Record<ContentErrorCode, number> = {
  PostNotFound: 404,
  CommentNotFound: 404,
  ReplyNotFound: 404,
  NotPostAuthor: 403,
  NotAllowedToDeleteComment: 403,
  NotAllowedToDeleteReply: 403,
  // Ids are issued by this service, so a clash is a bug or an astronomically rare accident.
  PostAlreadyExists: 409,
  CommentAlreadyExists: 409,
  ReplyAlreadyExists: 409,
  TooManyHashtags: 400,
  TooManyMentions: 400,
};

/** The problem's `code` where API.md names the rule, rather than the status's own. */
const codeOf: Partial<Record<ContentErrorCode, string>> = {
  TooManyHashtags: 'too-many-hashtags',
  TooManyMentions: 'too-many-mentions',
};

/** The outcome of a command, or the problem the client is answered with when a rule said no. */
export function orProblem<T>(outcome: T | DomainError<ContentErrorCode>): T {
  if (outcome instanceof DomainError) throw problemOf(outcome);
  return outcome;
}

/** The problem a rule's refusal is answered with. */
export function problemOf(error: DomainError<ContentErrorCode>): HttpProblem {
  const code = codeOf[error.code];
  return new HttpProblem(statusOf[error.code], error.message, {
    ...(code ? { code } : {}),
    ...(error.field ? { errors: [{ field: error.field, message: error.message }] } : {}),
  });
}
