import { v5 } from 'uuid';

/** The namespace of notification ids (a random UUID, fixed for good: ids derived under it are stored). */
const namespace = '5d0c7f4e-8f0b-4a57-9d2b-6f3f3a1f4c21';

/**
 * A notification's id: a UUID derived from its recipient and what it groups, so every delivery of an event finds
 * the same notification without looking it up first.
 */
export function notificationId(recipient: string, key: string): string {
  return v5(`${recipient}|${key}`, namespace);
}

/** The keys of what each notification groups: one notification per recipient and key. */
export const keys = {
  like: (postId: string) => `like:${postId}`,
  comment: (commentId: string) => `comment:${commentId}`,
  reply: (replyId: string) => `reply:${replyId}`,
  postMention: (postId: string) => `mention:post:${postId}`,
  commentMention: (commentId: string) => `mention:comment:${commentId}`,
  replyMention: (replyId: string) => `mention:reply:${replyId}`,
  followRequest: (followerId: string) => `follow_request:${followerId}`,
  followAccepted: (followeeId: string) => `follow_accepted:${followeeId}`,
  /** a new `follow` notification, named after the follow (stream and revision) that started it */
  follows: (followStreamId: string, rev: number) => `follow:${followStreamId}:${rev}`,
};
