import type { EventOfType } from '@gram/events';
import {
  type AccountStanding,
  assertNever,
  type Decider,
  DomainError,
  isDomainError,
} from '@gram/service-kit';
import { recordedCaptionMentions, type TextErrorCode, type WrittenCaption } from '../texts/written-text.js';

/** The life of a photo post, in its own stream `post-<postId>`. */
export type PostEvent = EventOfType<'PostCreated'> | EventOfType<'PostEdited'> | EventOfType<'PostDeleted'>;

export type PostState =
  | { status: 'none' }
  | {
      status: 'live';
      postId: string;
      authorId: string;
      photo: string;
      caption: string;
      /** the accounts the caption mentions, by id, as recorded when it was written */
      mentions: readonly string[];
      createdAt: string;
      /** the last edit, or the creation when never edited */
      updatedAt: string;
    }
  | { status: 'deleted'; postId: string; authorId: string };

export type PostCommand =
  | {
      type: 'CreatePost';
      data: { postId: string; authorId: string; photo: string; caption: WrittenCaption; createdAt: string };
    }
  | {
      type: 'EditPost';
      /** a field left out stays as it is */
      data: { postId: string; actorId: string; photo?: string; caption?: WrittenCaption; editedAt: string };
    }
  | { type: 'DeletePost'; data: { postId: string; actorId: string; deletedAt: string } };

export type PostErrorCode = 'PostAlreadyExists' | 'PostNotFound' | 'NotPostAuthor' | TextErrorCode;
export type PostError = DomainError<PostErrorCode>;

export const initialPostState = (): PostState => ({ status: 'none' });

export function evolvePost(state: PostState, event: PostEvent): PostState {
  switch (event.type) {
    case 'PostCreated': {
      const { postId, authorId, photo, caption, mentions = [], createdAt } = event.data;
      return { status: 'live', postId, authorId, photo, caption, mentions, createdAt, updatedAt: createdAt };
    }
    case 'PostEdited': {
      if (state.status !== 'live') return state;
      const { photo, caption, mentions, editedAt } = event.data;
      return {
        ...state,
        photo: photo ?? state.photo,
        // A caption recorded without mentions mentions nobody.
        ...(caption !== undefined ? { caption, mentions: mentions ?? [] } : {}),
        updatedAt: editedAt,
      };
    }
    case 'PostDeleted':
      return { status: 'deleted', postId: event.data.postId, authorId: event.data.authorId };
    default:
      return assertNever(event);
  }
}

export function decidePost(command: PostCommand, state: PostState): readonly PostEvent[] | PostError {
  switch (command.type) {
    case 'CreatePost': {
      // Post ids are issued by the server, so this only guards against a bug reusing one.
      if (state.status !== 'none') return new DomainError('PostAlreadyExists', 'the post already exists');
      const { caption, ...post } = command.data;
      const mentions = recordedCaptionMentions(caption);
      if (isDomainError(mentions)) return mentions;
      return [{ type: 'PostCreated', data: { ...post, caption: caption.text, ...mentions } }];
    }
    case 'EditPost': {
      if (state.status !== 'live') return postNotFound();
      const { actorId, photo, caption, editedAt } = command.data;
      if (actorId !== state.authorId) return notPostAuthor('edit');
      // A caption sent is judged even when unchanged: the limits are rules of the input.
      const mentions = caption ? recordedCaptionMentions(caption) : {};
      if (isDomainError(mentions)) return mentions;
      const changed = {
        ...(photo !== undefined && photo !== state.photo ? { photo } : {}),
        // With the caption, what it mentions: the read side takes a caption without mentions as mentioning nobody.
        ...(caption !== undefined && caption.text !== state.caption
          ? { caption: caption.text, ...mentions }
          : {}),
      };
      // An edit that changes nothing records nothing: the post's history holds only real changes.
      if (Object.keys(changed).length === 0) return [];
      return [
        {
          type: 'PostEdited',
          data: { postId: state.postId, authorId: state.authorId, ...changed, editedAt },
        },
      ];
    }
    case 'DeletePost': {
      if (state.status !== 'live') return postNotFound();
      if (command.data.actorId !== state.authorId) return notPostAuthor('delete');
      return [
        {
          type: 'PostDeleted',
          data: { postId: state.postId, authorId: state.authorId, deletedAt: command.data.deletedAt },
        },
      ];
    }
    default:
      return assertNever(command);
  }
}

export const postDecider: Decider<PostCommand, PostState, PostEvent, PostError> = {
  initialState: initialPostState,
  evolve: evolvePost,
  decide: decidePost,
};

/** What a post the API does not show answers: a deleted one, one never written, one hidden from the asker. */
export const postNotFound = () => new DomainError('PostNotFound', 'the post does not exist or was deleted');
const notPostAuthor = (what: 'edit' | 'delete') =>
  new DomainError('NotPostAuthor', `only the author of a post may ${what} it`);

/**
 * What the other aggregates of content need to know of a post before they attach something to
 * it: whether the API can see it (a live post of an account that still exists: an account's
 * deletion takes its posts out of every read), who wrote it, and whether its author is private (only
 * approved followers may engage with a private account's posts).
 */
export type PostVisibility =
  | { visible: true; authorId: string; authorIsPrivate: boolean }
  | { visible: false };

export function postVisibility(state: PostState, author: AccountStanding): PostVisibility {
  if (state.status !== 'live' || author.status !== 'active') return { visible: false };
  return { visible: true, authorId: state.authorId, authorIsPrivate: author.isPrivate };
}
