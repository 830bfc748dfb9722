import type { EventOfType } from '@gram/events';
import { type AccountStatus, assertNever, type Decider, DomainError, isDomainError } from '@gram/service-kit';
import { type PostVisibility, postNotFound } from '../posts/post.js';
import { recordedMentions, type TextErrorCode, type WrittenText } from '../texts/written-text.js';

/** A comment under a post, in its own stream `comment-<commentId>`. */
export type CommentEvent = EventOfType<'CommentAdded'> | EventOfType<'CommentDeleted'>;

export type CommentState =
  | { status: 'none' }
  | {
      status: 'live';
      commentId: string;
      postId: string;
      /** recorded when the comment was added: a post's author never changes */
      postAuthorId: string;
      authorId: string;
      text: string;
      createdAt: string;
    }
  | { status: 'deleted'; commentId: string; postId: string };

export type CommentCommand =
  | {
      type: 'AddComment';
      /** `post`: what the post's own stream says, read by the handler (a comment needs a visible post) */
      data: {
        commentId: string;
        postId: string;
        authorId: string;
        text: WrittenText;
        createdAt: string;
        post: PostVisibility;
      };
    }
  | {
      type: 'DeleteComment';
      /**
       * `hidden`: the comment's own stream is live but the API no longer shows it, because its
       * post is gone or its author's account was deleted (read by the handler from those streams).
       */
      data: { commentId: string; actorId: string; deletedAt: string; hidden: boolean };
    }
  | {
      /**
       * Deletes the comment whether the API still shows it or not, and records nothing when it is already gone
       * or never existed: what the post's author no longer allows (a blocked account's comment under its posts),
       * or a comment whose request was answered as refused (`deletedBy` its author). Run again, it changes nothing.
       */
      type: 'RemoveComment';
      data: { commentId: string; deletedBy: string; deletedAt: string };
    };

export type CommentErrorCode =
  | 'CommentAlreadyExists'
  | 'PostNotFound'
  | 'CommentNotFound'
  | 'NotAllowedToDeleteComment'
  | TextErrorCode;
export type CommentError = DomainError<CommentErrorCode>;

/** What a comment the API does not show answers: a deleted one, one never written, one hidden from the asker. */
export const commentNotFound = () =>
  new DomainError('CommentNotFound', 'the comment does not exist or was deleted');

export const initialCommentState = (): CommentState => ({ status: 'none' });

export function evolveComment(_state: CommentState, event: CommentEvent): CommentState {
  switch (event.type) {
    case 'CommentAdded': {
      const { commentId, postId, postAuthorId, authorId, text, createdAt } = event.data;
      return { status: 'live', commentId, postId, postAuthorId, authorId, text, createdAt };
    }
    case 'CommentDeleted':
      return { status: 'deleted', commentId: event.data.commentId, postId: event.data.postId };
    default:
      return assertNever(event);
  }
}

export function decideComment(
  command: CommentCommand,
  state: CommentState,
): readonly CommentEvent[] | CommentError {
  switch (command.type) {
    case 'AddComment': {
      // Comment ids are issued by the server, so this only guards against a bug reusing one.
      if (state.status !== 'none')
        return new DomainError('CommentAlreadyExists', 'the comment already exists');
      const { post, text, ...comment } = command.data;
      const mentions = recordedMentions(text, 'text');
      if (isDomainError(mentions)) return mentions;
      if (!post.visible) return postNotFound();
      return [
        {
          type: 'CommentAdded',
          data: { ...comment, postAuthorId: post.authorId, text: text.text, ...mentions },
        },
      ];
    }
    case 'DeleteComment': {
      const { actorId, deletedAt, hidden } = command.data;
      if (state.status !== 'live' || hidden) {
        return commentNotFound();
      }
      if (actorId !== state.authorId && actorId !== state.postAuthorId) {
        return new DomainError(
          'NotAllowedToDeleteComment',
          "only the comment's author or the post's author may delete it",
        );
      }
      return [
        {
          type: 'CommentDeleted',
          data: { commentId: state.commentId, postId: state.postId, deletedBy: actorId, deletedAt },
        },
      ];
    }
    case 'RemoveComment': {
      const { deletedBy, deletedAt } = command.data;
      if (state.status !== 'live') return [];
      if (deletedBy !== state.authorId && deletedBy !== state.postAuthorId) {
        return new DomainError(
          'NotAllowedToDeleteComment',
          "only the comment's author or the post's author may delete it",
        );
      }
      return [
        {
          type: 'CommentDeleted',
          data: { commentId: state.commentId, postId: state.postId, deletedBy, deletedAt },
        },
      ];
    }
    default:
      return assertNever(command);
  }
}

export const commentDecider: Decider<CommentCommand, CommentState, CommentEvent, CommentError> = {
  initialState: initialCommentState,
  evolve: evolveComment,
  decide: decideComment,
};

/**
 * What a reply needs to know of the comment it answers: whether the API can see it (a live
 * comment, by an account that still exists, under a visible post), where it lives and who wrote
 * it (a reply is refused between the comment's author and an account in a block with it).
 */
export type CommentVisibility =
  | { visible: true; postId: string; postAuthorId: string; postAuthorIsPrivate: boolean; authorId: string }
  | { visible: false };

export function commentVisibility(
  state: CommentState,
  authorStatus: AccountStatus,
  post: PostVisibility,
): CommentVisibility {
  if (state.status !== 'live' || authorStatus !== 'active' || !post.visible) return { visible: false };
  return {
    visible: true,
    postId: state.postId,
    postAuthorId: state.postAuthorId,
    postAuthorIsPrivate: post.authorIsPrivate,
    authorId: state.authorId,
  };
}
