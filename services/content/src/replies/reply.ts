import type { EventOfType } from '@gram/events';
import { assertNever, type Decider, DomainError, isDomainError } from '@gram/service-kit';
import { type CommentVisibility, commentNotFound } from '../comments/comment.js';
import { recordedMentions, type TextErrorCode, type WrittenText } from '../texts/written-text.js';

/** A reply to a comment, in its own stream `reply-<replyId>`. */
export type ReplyEvent = EventOfType<'ReplyAdded'> | EventOfType<'ReplyDeleted'>;

export type ReplyState =
  | { status: 'none' }
  | {
      status: 'live';
      replyId: string;
      commentId: string;
      postId: string;
      /** recorded when the reply was added: a post's author never changes */
      postAuthorId: string;
      authorId: string;
      text: string;
      createdAt: string;
    }
  | { status: 'deleted'; replyId: string; commentId: string; postId: string };

export type ReplyCommand =
  | {
      type: 'AddReply';
      /** `comment`: what the comment's (and its post's) streams say, read by the handler */
      data: {
        replyId: string;
        commentId: string;
        authorId: string;
        text: WrittenText;
        createdAt: string;
        comment: CommentVisibility;
      };
    }
  | {
      type: 'DeleteReply';
      /**
       * `hidden`: the reply's own stream is live but the API no longer shows it, because its
       * comment or post is gone or its author's account was deleted (read by the handler).
       */
      data: { replyId: string; actorId: string; deletedAt: string; hidden: boolean };
    }
  | {
      /**
       * Deletes the reply whether the API still shows it or not, and records nothing when it is already gone or
       * never existed: what the post's author no longer allows (a blocked account's reply under its posts), or a
       * reply whose request was answered as refused (`deletedBy` its author). Run again, it changes nothing.
       */
      type: 'RemoveReply';
      data: { replyId: string; deletedBy: string; deletedAt: string };
    };

export type ReplyErrorCode =
  | 'ReplyAlreadyExists'
  | 'CommentNotFound'
  | 'ReplyNotFound'
  | 'NotAllowedToDeleteReply'
  | TextErrorCode;
export type ReplyError = DomainError<ReplyErrorCode>;

export const initialReplyState = (): ReplyState => ({ status: 'none' });

export function evolveReply(_state: ReplyState, event: ReplyEvent): ReplyState {
  switch (event.type) {
    case 'ReplyAdded': {
      const { replyId, commentId, postId, postAuthorId, authorId, text, createdAt } = event.data;
      return { status: 'live', replyId, commentId, postId, postAuthorId, authorId, text, createdAt };
    }
    case 'ReplyDeleted': {
      const { replyId, commentId, postId } = event.data;
      return { status: 'deleted', replyId, commentId, postId };
    }
    default:
      return assertNever(event);
  }
}

export function decideReply(command: ReplyCommand, state: ReplyState): readonly ReplyEvent[] | ReplyError {
  switch (command.type) {
    case 'AddReply': {
      // Reply ids are issued by the server, so this only guards against a bug reusing one.
      if (state.status !== 'none') return new DomainError('ReplyAlreadyExists', 'the reply already exists');
      const { comment, text, ...reply } = command.data;
      const mentions = recordedMentions(text, 'text');
      if (isDomainError(mentions)) return mentions;
      if (!comment.visible) {
        return commentNotFound();
      }
      const { postId, postAuthorId } = comment;
      return [{ type: 'ReplyAdded', data: { ...reply, postId, postAuthorId, text: text.text, ...mentions } }];
    }
    case 'DeleteReply': {
      const { actorId, deletedAt, hidden } = command.data;
      if (state.status !== 'live' || hidden) {
        return new DomainError('ReplyNotFound', 'the reply does not exist or was deleted');
      }
      // The comment's author is deliberately not listed: API.md gives a reply to its author and
      // to the author of the post the conversation is under.
      if (actorId !== state.authorId && actorId !== state.postAuthorId) {
        return new DomainError(
          'NotAllowedToDeleteReply',
          "only the reply's author or the post's author may delete it",
        );
      }
      const { replyId, commentId, postId } = state;
      return [{ type: 'ReplyDeleted', data: { replyId, commentId, postId, deletedBy: actorId, deletedAt } }];
    }
    case 'RemoveReply': {
      const { deletedBy, deletedAt } = command.data;
      if (state.status !== 'live') return [];
      if (deletedBy !== state.authorId && deletedBy !== state.postAuthorId) {
        return new DomainError(
          'NotAllowedToDeleteReply',
          "only the reply's author or the post's author may delete it",
        );
      }
      const { replyId, commentId, postId } = state;
      return [{ type: 'ReplyDeleted', data: { replyId, commentId, postId, deletedBy, deletedAt } }];
    }
    default:
      return assertNever(command);
  }
}

export const replyDecider: Decider<ReplyCommand, ReplyState, ReplyEvent, ReplyError> = {
  initialState: initialReplyState,
  evolve: evolveReply,
  decide: decideReply,
};
