import type { EventOfType } from '@gram/events';
import { assertNever, type Decider, type DomainError } from '@gram/service-kit';
import { type PostVisibility, postNotFound } from '../posts/post.js';

/**
 * One user's like of one post, in its own stream `like-<postId>_<userId>`. "Counted once" is not
 * a check against a list of likers: the stream's expected revision makes two racing likes of the
 * same user decide one after the other, and the second sees the first.
 */
export type LikeEvent = EventOfType<'PostLiked'> | EventOfType<'PostUnliked'>;

export type LikeState =
  | { status: 'none' }
  | { status: 'liked'; likedAt: string }
  | { status: 'unliked'; unlikedAt: string };

export type LikeCommand =
  | {
      type: 'LikePost';
      /** `post`: what the post's own stream says, read by the handler (a like needs a visible post) */
      data: { postId: string; userId: string; likedAt: string; post: PostVisibility };
    }
  | {
      type: 'UnlikePost';
      data: { postId: string; userId: string; unlikedAt: string; post: PostVisibility };
    }
  | {
      /**
       * Ends the like made at `likedAt`, whatever the post's visibility: what the post's author no longer allows
       * (the user's like of a blocker's post), or a like whose request was answered as refused. Only that like: a
       * later one, made when it was allowed again, is not the one this removes, so a late or repeated removal
       * never takes it.
       */
      type: 'RemoveLike';
      data: { postId: string; userId: string; likedAt: string; unlikedAt: string };
    };

export type LikeErrorCode = 'PostNotFound';
export type LikeError = DomainError<LikeErrorCode>;

export const initialLikeState = (): LikeState => ({ status: 'none' });

export function evolveLike(_state: LikeState, event: LikeEvent): LikeState {
  switch (event.type) {
    case 'PostLiked':
      return { status: 'liked', likedAt: event.data.likedAt };
    case 'PostUnliked':
      return { status: 'unliked', unlikedAt: event.data.unlikedAt };
    default:
      return assertNever(event);
  }
}

export function decideLike(command: LikeCommand, state: LikeState): readonly LikeEvent[] | LikeError {
  if (command.type === 'RemoveLike') {
    const { postId, userId, likedAt, unlikedAt } = command.data;
    if (state.status !== 'liked' || state.likedAt !== likedAt) return [];
    return [{ type: 'PostUnliked', data: { postId, userId, unlikedAt } }];
  }
  const { post } = command.data;
  if (!post.visible) return postNotFound();
  switch (command.type) {
    case 'LikePost': {
      // Liking again is not an error: the client's intent ("I like it") already holds.
      if (state.status === 'liked') return [];
      const { postId, userId, likedAt } = command.data;
      return [{ type: 'PostLiked', data: { postId, userId, postAuthorId: post.authorId, likedAt } }];
    }
    case 'UnlikePost': {
      if (state.status !== 'liked') return [];
      const { postId, userId, unlikedAt } = command.data;
      return [{ type: 'PostUnliked', data: { postId, userId, unlikedAt } }];
    }
    default:
      return assertNever(command);
  }
}

export const likeDecider: Decider<LikeCommand, LikeState, LikeEvent, LikeError> = {
  initialState: initialLikeState,
  evolve: evolveLike,
  decide: decideLike,
};
