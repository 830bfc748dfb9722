import { HttpUrl, Id } from '@gram/events';
import { Type } from '@sinclair/typebox';

/**
 * TypeBox schemas of the fields and parameters of API.md that the content service reads; the resources
 * it answers (`Post`, `Comment`, `Reply`) are service-kit's, shared by every service.
 */

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

export const PostParams = Type.Object({ postId: Id() });
export const CommentParams = Type.Object({ commentId: Id() });
export const ReplyParams = Type.Object({ replyId: Id() });

/** A 204 answer has no body; its write headers say where the change (or the no-op) landed. */
export const NoContent = Type.Null({ description: 'no body' });

export const bearer = [{ bearer: [] }];
