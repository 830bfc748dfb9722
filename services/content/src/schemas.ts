import { HttpUrl, Id } from '@gram/events';
import { type Static, Type } from '@sinclair/typebox';

/** TypeBox schemas of the resources and fields of API.md that the content service reads or answers. */

export const UserSummary = Type.Object({
  id: Id(),
  userName: Type.String(),
  name: Type.String(),
  profilePic: Type.String(),
});
export type UserSummary = Static<typeof UserSummary>;

const Timestamp = Type.String({ format: 'date-time' });
const Count = Type.Integer({ minimum: 0 });

export const Photo = HttpUrl('an http(s) URL of the photo, up to 2048 characters');
// Trimmed and checked by service-kit's `textFields` (the `lines` rule) before these schemas see them.
export const Caption = Type.String({
  maxLength: 2200,
  description: '0-2200 characters, trimmed; no control characters but tabs and line breaks',
});
export const Text = Type.String({
  minLength: 1,
  maxLength: 2200,
  description: '1-2200 characters, trimmed; no control characters but tabs and line breaks',
});

export const Post = Type.Object({
  id: Id(),
  author: UserSummary,
  photo: Type.String(),
  caption: Type.String(),
  likesCount: Count,
  commentsCount: Count,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  likedByMe: Type.Optional(Type.Boolean()),
});
export type Post = Static<typeof Post>;

export const Comment = Type.Object({
  id: Id(),
  postId: Id(),
  author: UserSummary,
  text: Type.String(),
  replyCount: Count,
  createdAt: Timestamp,
});
export type Comment = Static<typeof Comment>;

export const Reply = Type.Object({
  id: Id(),
  commentId: Id(),
  postId: Id(),
  author: UserSummary,
  text: Type.String(),
  createdAt: Timestamp,
});
export type Reply = Static<typeof Reply>;

export const PostParams = Type.Object({ postId: Id() });
export const CommentParams = Type.Object({ commentId: Id() });
export const ReplyParams = Type.Object({ replyId: Id() });

/** A 204 answer has no body; its write headers say where the change (or the no-op) landed. */
export const NoContent = Type.Null({ description: 'no body' });

export const bearer = [{ bearer: [] }];
