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
  description: 'A user stopped following another.',
  schema: Type.Object(
    { followerId: Id(), followeeId: Id(), unfollowedAt: Timestamp() },
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

export const socialGraphEvents = [UserFollowed, UserUnfollowed, UserMuted, UserUnmuted] as const;
