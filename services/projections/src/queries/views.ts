import { Id } from '@gram/events';
import { type Static, type TSchema, Type } from '@sinclair/typebox';

/** The resources of API.md as the query API answers them. */

const Timestamp = Type.String({ format: 'date-time' });
const Count = Type.Integer({ minimum: 0 });

export const UserSummaryView = Type.Object({
  id: Id(),
  userName: Type.String(),
  name: Type.String(),
  profilePic: Type.String(),
});
export type UserSummaryView = Static<typeof UserSummaryView>;

export const ProfileView = Type.Object({
  id: Id(),
  userName: Type.String(),
  name: Type.String(),
  bio: Type.String(),
  profilePic: Type.String(),
  followersCount: Count,
  followingCount: Count,
  postCount: Count,
  createdAt: Timestamp,
  followedByMe: Type.Optional(Type.Boolean({ description: 'present when the request is authenticated' })),
});
export type ProfileView = Static<typeof ProfileView>;

export const PostView = Type.Object({
  id: Id(),
  author: UserSummaryView,
  photo: Type.String(),
  caption: Type.String(),
  likesCount: Count,
  commentsCount: Count,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  likedByMe: Type.Optional(Type.Boolean({ description: 'present when the request is authenticated' })),
});
export type PostView = Static<typeof PostView>;

export const CommentView = Type.Object({
  id: Id(),
  postId: Id(),
  author: UserSummaryView,
  text: Type.String(),
  replyCount: Count,
  createdAt: Timestamp,
});
export type CommentView = Static<typeof CommentView>;

export const ReplyView = Type.Object({
  id: Id(),
  commentId: Id(),
  postId: Id(),
  author: UserSummaryView,
  text: Type.String(),
  createdAt: Timestamp,
});
export type ReplyView = Static<typeof ReplyView>;

export const PageOf = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
