import type { EventStore } from '@gram/event-store';
import { type DomainEvent, type EventOfType, streamIds } from '@gram/events';
import { assertNever, type Decider, loadAggregate } from '@gram/service-kit';
import { userDecider } from '../../users/user.js';
import type { Upload } from './holdings.js';

/** account.json: the profile, the contact data and the creation time; never the password hash. */
export interface ExportedAccount {
  id: string;
  userName: string;
  name: string;
  bio: string;
  profilePic: string;
  email: string | null;
  phoneNo: string | null;
  createdAt: string;
}

/** The account does not exist, or no longer: there is nothing to export. */
export class AccountNotFound extends Error {
  override readonly name = 'AccountNotFound';
  constructor(readonly accountId: string) {
    super(`account ${accountId} does not exist or was deleted`);
  }
}

export async function exportedAccount(store: EventStore, accountId: string): Promise<ExportedAccount> {
  const { state } = await loadAggregate(store, streamIds.user(accountId), userDecider);
  if (state.status !== 'active') throw new AccountNotFound(accountId);
  const { profile, credentials } = state;
  return {
    id: profile.userId,
    userName: profile.userName,
    name: profile.name,
    bio: profile.bio,
    profilePic: profile.profilePic,
    // null only for an account caught between its two registration events, which are appended in one write
    email: credentials?.email ?? null,
    phoneNo: credentials?.phoneNo ?? null,
    createdAt: profile.registeredAt,
  };
}

/** How an item of a list is folded from its stream: undefined once it is gone (deleted, unliked, unfollowed). */
export type ItemFold<TItem, TEvent extends DomainEvent> = Pick<
  Decider<unknown, TItem | undefined, TEvent>,
  'initialState' | 'evolve'
>;

/**
 * The items of `streams` that still stand, each folded from its whole stream (a few events) when the list is read
 * that far, in the order given.
 */
export async function* standingItems<TItem, TEvent extends DomainEvent>(
  store: EventStore,
  streams: Iterable<string>,
  fold: ItemFold<TItem, TEvent>,
  signal?: AbortSignal,
): AsyncGenerator<TItem> {
  for (const streamId of streams) {
    signal?.throwIfAborted();
    const { state } = await loadAggregate(store, streamId, fold);
    if (state !== undefined) yield state;
  }
}

/** posts.json: a post as it stands, `editedAt` once edited. */
export interface ExportedPost {
  id: string;
  photo: string;
  caption: string;
  createdAt: string;
  editedAt?: string;
}

type PostEvent = EventOfType<'PostCreated'> | EventOfType<'PostEdited'> | EventOfType<'PostDeleted'>;

export const exportedPost: ItemFold<ExportedPost, PostEvent> = {
  initialState: () => undefined,
  evolve(post, event) {
    switch (event.type) {
      case 'PostCreated': {
        const { postId, photo, caption, createdAt } = event.data;
        return { id: postId, photo, caption, createdAt };
      }
      case 'PostEdited': {
        if (!post) return post;
        const { photo, caption, editedAt } = event.data;
        return { ...post, photo: photo ?? post.photo, caption: caption ?? post.caption, editedAt };
      }
      case 'PostDeleted':
        return undefined;
      default:
        return assertNever(event);
    }
  },
};

/** comments.json */
export interface ExportedComment {
  id: string;
  postId: string;
  text: string;
  createdAt: string;
}

type CommentEvent = EventOfType<'CommentAdded'> | EventOfType<'CommentDeleted'>;

/** A comment is gone once deleted, by the account or by the post's author. */
export const exportedComment: ItemFold<ExportedComment, CommentEvent> = {
  initialState: () => undefined,
  evolve(_comment, event) {
    switch (event.type) {
      case 'CommentAdded': {
        const { commentId, postId, text, createdAt } = event.data;
        return { id: commentId, postId, text, createdAt };
      }
      case 'CommentDeleted':
        return undefined;
      default:
        return assertNever(event);
    }
  },
};

/** replies.json */
export interface ExportedReply {
  id: string;
  postId: string;
  commentId: string;
  text: string;
  createdAt: string;
}

type ReplyEvent = EventOfType<'ReplyAdded'> | EventOfType<'ReplyDeleted'>;

export const exportedReply: ItemFold<ExportedReply, ReplyEvent> = {
  initialState: () => undefined,
  evolve(_reply, event) {
    switch (event.type) {
      case 'ReplyAdded': {
        const { replyId, postId, commentId, text, createdAt } = event.data;
        return { id: replyId, postId, commentId, text, createdAt };
      }
      case 'ReplyDeleted':
        return undefined;
      default:
        return assertNever(event);
    }
  },
};

/** likes.json: a post the account likes now, since its last like. */
export interface ExportedLike {
  postId: string;
  likedAt: string;
}

type LikeEvent = EventOfType<'PostLiked'> | EventOfType<'PostUnliked'>;

export const exportedLike: ItemFold<ExportedLike, LikeEvent> = {
  initialState: () => undefined,
  evolve(_like, event) {
    switch (event.type) {
      case 'PostLiked':
        return { postId: event.data.postId, likedAt: event.data.likedAt };
      case 'PostUnliked':
        return undefined;
      default:
        return assertNever(event);
    }
  },
};

/** following.json: an account the account follows now, since its last follow. */
export interface ExportedFollow {
  userId: string;
  since: string;
}

type FollowEvent = EventOfType<'UserFollowed'> | EventOfType<'UserUnfollowed'>;

export const exportedFollow: ItemFold<ExportedFollow, FollowEvent> = {
  initialState: () => undefined,
  evolve(_follow, event) {
    switch (event.type) {
      case 'UserFollowed':
        return { userId: event.data.followeeId, since: event.data.followedAt };
      case 'UserUnfollowed':
        return undefined;
      default:
        return assertNever(event);
    }
  },
};

/** The uploads of `uploads` (media id → upload) that the media service has not erased (`MediaErased`). */
export async function* standingUploads(
  store: EventStore,
  uploads: ReadonlyMap<string, Upload>,
  signal?: AbortSignal,
): AsyncGenerator<Upload & { mediaId: string }> {
  for (const [mediaId, upload] of uploads) {
    signal?.throwIfAborted();
    const events = await store.readStream(streamIds.media(mediaId));
    if (events.some((event) => event.type === 'MediaErased')) continue;
    yield { mediaId, ...upload };
  }
}
