import { Type } from '@sinclair/typebox';
import { aggregates } from './aggregates.js';
import { Id, Timestamp } from './common.js';
import { defineEvent } from './define.js';

export const UserFollowed = defineEvent({
  type: 'UserFollowed',
  version: 1,
  aggregate: aggregates.follow,
  visibility: 'public',
  description: 'A user started following another.',
  schema: Type.Object(
    { followerId: Id(), followeeId: Id(), followedAt: Timestamp() },
    { additionalProperties: false },
  ),
});

export const UserUnfollowed = defineEvent({
  type: 'UserUnfollowed',
  version: 1,
  aggregate: aggregates.follow,
  visibility: 'public',
  description:
    'A user stopped following another: it unfollowed, or (`endedBy` "followee") the followee removed it from its followers. Absent `endedBy`: the follower.',
  // `endedBy` came after v1 as an optional field: a v1 payload without it still reads as v1, so no new version.
  schema: Type.Object(
    {
      followerId: Id(),
      followeeId: Id(),
      unfollowedAt: Timestamp(),
      endedBy: Type.Optional(Type.Union([Type.Literal('follower'), Type.Literal('followee')])),
    },
    { additionalProperties: false },
  ),
});

/*
 * Follow requests live in the follow stream of their pair, beside the follows they become. An accepted request
 * is recorded as FollowRequestAccepted followed, in the same append, by UserFollowed: every consumer that counts
 * or lists follows (projections, analytics) keeps reading follows from UserFollowed and UserUnfollowed alone, and
 * a pending request, which is not a follow, is in none of their counts.
 */

export const FollowRequested = defineEvent({
  type: 'FollowRequested',
  version: 1,
  aggregate: aggregates.follow,
  visibility: 'public',
  description:
    'A user asked to follow a private account; the request is pending until accepted, declined or withdrawn.',
  schema: Type.Object(
    { followerId: Id(), followeeId: Id(), requestedAt: Timestamp() },
    { additionalProperties: false },
  ),
});

export const FollowRequestAccepted = defineEvent({
  type: 'FollowRequestAccepted',
  version: 1,
  aggregate: aggregates.follow,
  visibility: 'public',
  description:
    'The private account accepted the pending request (or turned public, which accepts every pending request). Always followed by the UserFollowed that starts the follow.',
  schema: Type.Object(
    { followerId: Id(), followeeId: Id(), acceptedAt: Timestamp() },
    { additionalProperties: false },
  ),
});

export const FollowRequestDeclined = defineEvent({
  type: 'FollowRequestDeclined',
  version: 1,
  aggregate: aggregates.follow,
  visibility: 'public',
  description: 'The private account declined the pending request.',
  schema: Type.Object(
    { followerId: Id(), followeeId: Id(), declinedAt: Timestamp() },
    { additionalProperties: false },
  ),
});

export const FollowRequestWithdrawn = defineEvent({
  type: 'FollowRequestWithdrawn',
  version: 1,
  aggregate: aggregates.follow,
  visibility: 'public',
  description: 'The requester withdrew its pending request.',
  schema: Type.Object(
    { followerId: Id(), followeeId: Id(), withdrawnAt: Timestamp() },
    { additionalProperties: false },
  ),
});

export const UserMuted = defineEvent({
  type: 'UserMuted',
  version: 1,
  aggregate: aggregates.mute,
  visibility: 'internal',
  description:
    "A user muted another: the muted account's posts leave the muter's feed. Only the muter may know.",
  schema: Type.Object(
    { muterId: Id(), mutedId: Id(), mutedAt: Timestamp() },
    { additionalProperties: false },
  ),
});

export const UserUnmuted = defineEvent({
  type: 'UserUnmuted',
  version: 1,
  aggregate: aggregates.mute,
  visibility: 'internal',
  description: 'A user stopped muting another.',
  schema: Type.Object(
    { muterId: Id(), mutedId: Id(), unmutedAt: Timestamp() },
    { additionalProperties: false },
  ),
});

/*
 * A block is the blocker's alone, as a mute is. What it ends is recorded on the public topics as the blocker's own
 * acts, which it may do without a block: the blocker's follow of the blocked account as an unfollow, the blocked
 * account's follow as a removed follower (`endedBy` "followee"), pending requests as withdrawn or declined, and the
 * blocked account's likes, comments and replies under the blocker's posts as unlikes and deletions by the post's
 * author. None of them says "block".
 */

export const UserBlocked = defineEvent({
  type: 'UserBlocked',
  version: 1,
  aggregate: aggregates.block,
  visibility: 'internal',
  description:
    "A user blocked another: follows and pending requests between them end both ways, the blocked account loses its likes, comments and replies under the blocker's posts, and neither sees the other. Only the blocker may know.",
  schema: Type.Object(
    { blockerId: Id(), blockedId: Id(), blockedAt: Timestamp() },
    { additionalProperties: false },
  ),
});

export const UserUnblocked = defineEvent({
  type: 'UserUnblocked',
  version: 1,
  aggregate: aggregates.block,
  visibility: 'internal',
  description: 'A user stopped blocking another. What the block ended stays ended.',
  schema: Type.Object(
    { blockerId: Id(), blockedId: Id(), unblockedAt: Timestamp() },
    { additionalProperties: false },
  ),
});

export const socialGraphEvents = [
  UserFollowed,
  UserUnfollowed,
  FollowRequested,
  FollowRequestAccepted,
  FollowRequestDeclined,
  FollowRequestWithdrawn,
  UserMuted,
  UserUnmuted,
  UserBlocked,
  UserUnblocked,
] as const;
