import { Type } from '@sinclair/typebox';
import { aggregates } from './aggregates.js';
import { HttpUrl, Id, Timestamp } from './common.js';
import { defineEvent } from './define.js';

const Caption = Type.String({ maxLength: 2200 });
const Text = Type.String({ minLength: 1, maxLength: 2200 });
/*
 * The accounts a caption, comment or reply mentions (`@userName` naming a live account when it was written), by id,
 * in order of first appearance. Ids, as every relation between accounts in the log (a like, a follow), not the
 * text: the userNames stay in the encrypted text. Absent in events written before mentions existed (and when
 * nothing is mentioned), so no new version.
 */
const Mentions = Type.Optional(
  Type.Array(Id(), {
    maxItems: 20,
    uniqueItems: true,
    description: 'the mentioned accounts, in order of first appearance',
  }),
);

export const PostCreated = defineEvent({
  type: 'PostCreated',
  version: 2,
  aggregate: aggregates.post,
  visibility: 'public',
  description:
    "A post was published. v1 named the photo `imageUrl` and had no `caption` when none was given. The caption is personal: encrypted under the author's data key.",
  personal: { owner: 'authorId', fields: ['caption'] },
  schema: Type.Object(
    {
      postId: Id(),
      authorId: Id(),
      photo: HttpUrl(),
      caption: Caption,
      mentions: Mentions,
      createdAt: Timestamp(),
    },
    { additionalProperties: false },
  ),
});

export const PostEdited = defineEvent({
  type: 'PostEdited',
  version: 1,
  aggregate: aggregates.post,
  visibility: 'public',
  description:
    "The author changed the photo and/or caption; only the fields that changed are present, the caption encrypted under the author's data key.",
  personal: { owner: 'authorId', fields: ['caption'] },
  schema: Type.Object(
    {
      postId: Id(),
      authorId: Id(),
      photo: Type.Optional(HttpUrl()),
      caption: Type.Optional(Caption),
      /** present with the caption: the accounts the new caption mentions */
      mentions: Mentions,
      editedAt: Timestamp(),
    },
    { additionalProperties: false },
  ),
});

export const PostDeleted = defineEvent({
  type: 'PostDeleted',
  version: 1,
  aggregate: aggregates.post,
  visibility: 'public',
  description: 'The author deleted the post: it, its comments and their replies disappear from every read.',
  schema: Type.Object(
    { postId: Id(), authorId: Id(), deletedAt: Timestamp() },
    { additionalProperties: false },
  ),
});

export const PostLiked = defineEvent({
  type: 'PostLiked',
  version: 1,
  aggregate: aggregates.like,
  visibility: 'public',
  description: 'A user liked a post (again after an unlike is a new PostLiked in the same stream).',
  schema: Type.Object(
    { postId: Id(), userId: Id(), postAuthorId: Id(), likedAt: Timestamp() },
    { additionalProperties: false },
  ),
});

export const PostUnliked = defineEvent({
  type: 'PostUnliked',
  version: 1,
  aggregate: aggregates.like,
  visibility: 'public',
  description:
    "A like ended: its user took it back, or it was removed with what the post's author no longer allows.",
  schema: Type.Object(
    { postId: Id(), userId: Id(), unlikedAt: Timestamp() },
    { additionalProperties: false },
  ),
});

export const CommentAdded = defineEvent({
  type: 'CommentAdded',
  version: 1,
  aggregate: aggregates.comment,
  visibility: 'public',
  description: "A user commented on a post; the text is encrypted under the commenter's data key.",
  personal: { owner: 'authorId', fields: ['text'] },
  schema: Type.Object(
    {
      commentId: Id(),
      postId: Id(),
      postAuthorId: Id(),
      authorId: Id(),
      text: Text,
      mentions: Mentions,
      createdAt: Timestamp(),
    },
    { additionalProperties: false },
  ),
});

export const CommentDeleted = defineEvent({
  type: 'CommentDeleted',
  version: 1,
  aggregate: aggregates.comment,
  visibility: 'public',
  description: "The comment's author or the post's author deleted it; its replies disappear with it.",
  schema: Type.Object(
    { commentId: Id(), postId: Id(), deletedBy: Id(), deletedAt: Timestamp() },
    { additionalProperties: false },
  ),
});

export const ReplyAdded = defineEvent({
  type: 'ReplyAdded',
  version: 1,
  aggregate: aggregates.reply,
  visibility: 'public',
  description: "A user replied to a comment; the text is encrypted under the replier's data key.",
  personal: { owner: 'authorId', fields: ['text'] },
  schema: Type.Object(
    {
      replyId: Id(),
      commentId: Id(),
      postId: Id(),
      postAuthorId: Id(),
      authorId: Id(),
      text: Text,
      mentions: Mentions,
      createdAt: Timestamp(),
    },
    { additionalProperties: false },
  ),
});

export const ReplyDeleted = defineEvent({
  type: 'ReplyDeleted',
  version: 1,
  aggregate: aggregates.reply,
  visibility: 'public',
  description: "The reply's author or the post's author deleted it.",
  schema: Type.Object(
    { replyId: Id(), commentId: Id(), postId: Id(), deletedBy: Id(), deletedAt: Timestamp() },
    { additionalProperties: false },
  ),
});

export const contentEvents = [
  PostCreated,
  PostEdited,
  PostDeleted,
  PostLiked,
  PostUnliked,
  CommentAdded,
  CommentDeleted,
  ReplyAdded,
  ReplyDeleted,
] as const;
