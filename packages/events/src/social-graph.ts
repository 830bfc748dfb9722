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

export const socialGraphEvents = [UserFollowed, UserUnfollowed] as const;
