/** Ids of edge documents: the stream ids' own keys (like-<postId>_<userId>, follow-<followerId>_<followeeId>). */
export const likeId = (postId: string, userId: string) => `${postId}_${userId}`;
export const followId = (followerId: string, followeeId: string) => `${followerId}_${followeeId}`;

/** Sort keys are epoch milliseconds: numbers sort the same in MongoDB, Redis scores and memory. */
export const ms = (iso: string) => Date.parse(iso);
