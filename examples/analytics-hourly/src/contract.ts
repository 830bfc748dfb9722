/**
 * What this consumer relies on, copied from docs/asyncapi.yaml (the only thing it was written against; it imports
 * nothing from the gram code base). The contract test checks each of these names against that document.
 */
export const topics = { posts: 'content.posts', likes: 'content.likes', follows: 'social.follows' } as const;

/** The event types counted, by the ce_type header. */
export const countedTypes = { PostCreated: 'posts', PostLiked: 'likes', UserFollowed: 'follows' } as const;

/** CloudEvents headers (Kafka binding, binary mode) this consumer reads. */
export const headers = {
  id: 'ce_id',
  type: 'ce_type',
  time: 'ce_time',
  streamId: 'ce_streamid',
  streamRevision: 'ce_streamrevision',
} as const;
