import type { AggregateDefinition } from './define.js';

/**
 * Streams are small and many: `<category>-<id>`. A like is its own stream per (post, user) and a
 * follow per (follower, followee), so "only once" falls out of the stream's expected revision.
 * Topics are a public contract (docs/asyncapi.yaml): renaming one is a breaking change.
 */
export const aggregates = {
  user: {
    category: 'user',
    service: 'identity',
    topic: 'identity.users',
    description:
      "An account and its public profile. Its stream also holds the account's private credential events, which never leave identity.",
  },
  session: {
    category: 'session',
    service: 'identity',
    topic: null,
    description: 'A login session: one refresh-token family, rotated on every refresh. Private to identity.',
  },
  reservation: {
    category: 'reservation',
    service: 'identity',
    topic: null,
    description:
      'The claim on one unique value (a userName, email or phoneNo, normalized and hashed into the stream id). Private to identity.',
  },
  export: {
    category: 'exports',
    service: 'identity',
    topic: null,
    description:
      'An account\'s data exports ("download your data"): every request, its build and its archive\'s download key. One stream per account, so the 24-hour rule between requests is decided on one stream. Private to identity.',
  },
  post: {
    category: 'post',
    service: 'content',
    topic: 'content.posts',
    description: 'A photo post.',
  },
  like: {
    category: 'like',
    service: 'content',
    topic: 'content.likes',
    description: "One user's like of one post: the stream id is like-<postId>_<userId>.",
  },
  comment: {
    category: 'comment',
    service: 'content',
    topic: 'content.comments',
    description: 'A comment under a post.',
  },
  reply: {
    category: 'reply',
    service: 'content',
    topic: 'content.replies',
    description: 'A reply to a comment.',
  },
  follow: {
    category: 'follow',
    service: 'social-graph',
    topic: 'social.follows',
    description: "One user's follow of another: the stream id is follow-<followerId>_<followeeId>.",
  },
  mute: {
    category: 'mute',
    service: 'social-graph',
    topic: 'internal.social.relations',
    description:
      "One user's mute of another: the stream id is mute-<muterId>_<mutedId>. Private to the muter: its events travel on an internal topic, for the project's own workers only.",
  },
  block: {
    category: 'block',
    service: 'social-graph',
    topic: 'internal.social.relations',
    description:
      "One user's block of another: the stream id is block-<blockerId>_<blockedId>. Private to the blocker: its events travel on an internal topic, for the project's own workers only.",
  },
  media: {
    category: 'media',
    service: 'media',
    topic: 'media.uploads',
    description:
      'One uploaded photo and its stored renditions (original, standard, thumbnail), until they are erased with the account that uploaded them.',
  },
} as const satisfies Record<string, AggregateDefinition>;

export type AggregateName = keyof typeof aggregates;

/** Stream ids, one function per aggregate, so no service spells a stream name by hand. */
export const streamIds = {
  user: (userId: string) => `user-${userId}`,
  session: (sessionId: string) => `session-${sessionId}`,
  /** `key` is already normalized and hashed by identity: contact data never appears in a stream id. */
  reservation: (kind: 'userName' | 'email' | 'phoneNo', key: string) => `reservation-${kind}-${key}`,
  /** one stream per account: all its exports */
  export: (accountId: string) => `exports-${accountId}`,
  post: (postId: string) => `post-${postId}`,
  like: (postId: string, userId: string) => `like-${postId}_${userId}`,
  comment: (commentId: string) => `comment-${commentId}`,
  reply: (replyId: string) => `reply-${replyId}`,
  follow: (followerId: string, followeeId: string) => `follow-${followerId}_${followeeId}`,
  mute: (muterId: string, mutedId: string) => `mute-${muterId}_${mutedId}`,
  block: (blockerId: string, blockedId: string) => `block-${blockerId}_${blockedId}`,
  media: (mediaId: string) => `media-${mediaId}`,
} as const;

/** The aggregate a stream belongs to, from its category prefix. */
export function aggregateOfStream(streamId: string): AggregateName | undefined {
  const category = streamId.slice(0, streamId.indexOf('-'));
  return (Object.keys(aggregates) as AggregateName[]).find((name) => aggregates[name].category === category);
}
