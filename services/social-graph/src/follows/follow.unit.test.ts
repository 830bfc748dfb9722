import type { AccountStatus } from '@gram/service-kit';
import { deciderSpec } from '@gram/service-kit/decider-spec';
import { describe, expect, it } from 'vitest';
import { type FollowCommand, type FollowEvent, followDecider } from './follow.js';

const spec = deciderSpec(followDecider);
const followerId = '01900000-0000-7000-8000-0000000000a1';
const followeeId = '01900000-0000-7000-8000-0000000000b2';
const t1 = '2025-01-01T10:00:00.000Z';
const t2 = '2025-01-01T11:00:00.000Z';
const t3 = '2025-01-01T12:00:00.000Z';
const t4 = '2025-01-01T13:00:00.000Z';

const followed = (followedAt: string): FollowEvent => ({
  type: 'UserFollowed',
  data: { followerId, followeeId, followedAt },
});
const unfollowed = (unfollowedAt: string): FollowEvent => ({
  type: 'UserUnfollowed',
  data: { followerId, followeeId, unfollowedAt },
});
const follow = (
  followedAt: string,
  followee: AccountStatus = 'active',
  of = followeeId,
  isPrivate = false,
): FollowCommand => ({
  type: 'FollowUser',
  data: { followerId, followeeId: of, followedAt, followee: { status: followee, isPrivate } },
});
const followPrivate = (at: string): FollowCommand => follow(at, 'active', followeeId, true);
const requested = (requestedAt: string): FollowEvent => ({
  type: 'FollowRequested',
  data: { followerId, followeeId, requestedAt },
});
const accepted = (acceptedAt: string): FollowEvent[] => [
  { type: 'FollowRequestAccepted', data: { followerId, followeeId, acceptedAt } },
  followed(acceptedAt),
];
const answer = (
  type: 'AcceptFollowRequest' | 'DeclineFollowRequest' | 'RemoveFollower',
  at: string,
  follower: AccountStatus = 'active',
): FollowCommand => {
  switch (type) {
    case 'AcceptFollowRequest':
      return { type, data: { followerId, followeeId, acceptedAt: at, follower } };
    case 'DeclineFollowRequest':
      return { type, data: { followerId, followeeId, declinedAt: at, follower } };
    case 'RemoveFollower':
      return { type, data: { followerId, followeeId, removedAt: at, follower } };
  }
};
const unfollow = (
  unfollowedAt: string,
  followee: AccountStatus = 'active',
  of = followeeId,
): FollowCommand => ({
  type: 'UnfollowUser',
  data: { followerId, followeeId: of, unfollowedAt, followee },
});

describe('FollowUser', () => {
  it('records UserFollowed on a first follow of a live account', () => {
    spec().when(follow(t1)).thenRecords(followed(t1));
  });

  it('records nothing when the user already follows the account', () => {
    spec(followed(t1)).when(follow(t2)).thenNothingHappens();
  });

  it('records a new UserFollowed after an unfollow', () => {
    spec(followed(t1), unfollowed(t2)).when(follow(t3)).thenRecords(followed(t3));
  });

  it('refuses to let a user follow themselves', () => {
    spec()
      .when(follow(t1, 'active', followerId))
      .thenFailsWith('CannotFollowSelf', 'userId');
  });

  it('answers not found for an account that never existed or was deleted', () => {
    spec().when(follow(t1, 'none')).thenFailsWith('UserNotFound', 'userId');
    spec().when(follow(t1, 'deleted')).thenFailsWith('UserNotFound', 'userId');
    spec(followed(t1)).when(follow(t2, 'deleted')).thenFailsWith('UserNotFound', 'userId');
  });
});

describe('UnfollowUser', () => {
  it('records UserUnfollowed when the user follows the account', () => {
    spec(followed(t1)).when(unfollow(t2)).thenRecords(unfollowed(t2));
  });

  it('records nothing when the user never followed the account', () => {
    spec().when(unfollow(t1)).thenNothingHappens();
  });

  it('records nothing when the follow was already taken back', () => {
    spec(followed(t1), unfollowed(t2)).when(unfollow(t3)).thenNothingHappens();
  });

  it('records nothing when a user unfollows themselves: they never follow themselves', () => {
    spec()
      .when(unfollow(t1, 'active', followerId))
      .thenNothingHappens();
  });

  it('answers not found for an account that never existed or was deleted', () => {
    spec().when(unfollow(t1, 'none')).thenFailsWith('UserNotFound', 'userId');
    spec(followed(t1)).when(unfollow(t2, 'deleted')).thenFailsWith('UserNotFound', 'userId');
  });
});

describe('FollowUser of a private account', () => {
  it('records FollowRequested, not UserFollowed', () => {
    spec().when(followPrivate(t1)).thenRecords(requested(t1));
  });

  it('records nothing when the request is pending: still one request', () => {
    spec(requested(t1)).when(followPrivate(t2)).thenNothingHappens();
  });

  it('records nothing when the user already follows it: switching to private keeps followers', () => {
    spec(followed(t1)).when(followPrivate(t2)).thenNothingHappens();
  });

  it('records a new request after a declined or withdrawn one', () => {
    spec(requested(t1), { type: 'FollowRequestDeclined', data: { followerId, followeeId, declinedAt: t2 } })
      .when(followPrivate(t3))
      .thenRecords(requested(t3));
  });
});

describe('UnfollowUser with a pending request', () => {
  it('withdraws the request', () => {
    spec(requested(t1))
      .when(unfollow(t2))
      .thenRecords({ type: 'FollowRequestWithdrawn', data: { followerId, followeeId, withdrawnAt: t2 } });
  });
});

describe('AcceptFollowRequest', () => {
  it('records FollowRequestAccepted and the UserFollowed that starts the follow', () => {
    spec(requested(t1))
      .when(answer('AcceptFollowRequest', t2))
      .thenRecords(...accepted(t2));
  });

  it('records nothing when the request was accepted already (a racing accept, a redelivery)', () => {
    spec(requested(t1), ...accepted(t2))
      .when(answer('AcceptFollowRequest', t3))
      .thenNothingHappens();
  });

  it('fails with NoPendingRequest when none is pending: never asked, declined or withdrawn', () => {
    spec().when(answer('AcceptFollowRequest', t1)).thenFailsWith('NoPendingRequest');
    spec(requested(t1), { type: 'FollowRequestWithdrawn', data: { followerId, followeeId, withdrawnAt: t2 } })
      .when(answer('AcceptFollowRequest', t3))
      .thenFailsWith('NoPendingRequest');
  });

  it('answers not found for a requester that never existed or was deleted', () => {
    spec(requested(t1))
      .when(answer('AcceptFollowRequest', t2, 'deleted'))
      .thenFailsWith('UserNotFound', 'userId');
  });
});

describe('DeclineFollowRequest', () => {
  it('records FollowRequestDeclined for a pending request', () => {
    spec(requested(t1))
      .when(answer('DeclineFollowRequest', t2))
      .thenRecords({ type: 'FollowRequestDeclined', data: { followerId, followeeId, declinedAt: t2 } });
  });

  it('records nothing when nothing is pending, an accepted request included', () => {
    spec().when(answer('DeclineFollowRequest', t1)).thenNothingHappens();
    spec(requested(t1), ...accepted(t2))
      .when(answer('DeclineFollowRequest', t3))
      .thenNothingHappens();
  });

  it('answers not found for an unknown account', () => {
    spec()
      .when(answer('DeclineFollowRequest', t1, 'none'))
      .thenFailsWith('UserNotFound', 'userId');
  });
});

describe('RemoveFollower', () => {
  it('records UserUnfollowed ended by the followee', () => {
    spec(followed(t1))
      .when(answer('RemoveFollower', t2))
      .thenRecords({
        type: 'UserUnfollowed',
        data: { followerId, followeeId, unfollowedAt: t2, endedBy: 'followee' },
      });
  });

  it('records nothing when the account does not follow', () => {
    spec().when(answer('RemoveFollower', t1)).thenNothingHappens();
    spec(requested(t1)).when(answer('RemoveFollower', t2)).thenNothingHappens();
  });

  it('answers not found for an unknown account', () => {
    spec()
      .when(answer('RemoveFollower', t1, 'none'))
      .thenFailsWith('UserNotFound', 'userId');
  });
});

describe('a follow stream over time', () => {
  it('holds three events after follow, unfollow, follow (with repeats in between changing nothing)', () => {
    const history: FollowEvent[] = [];
    for (const command of [follow(t1), follow(t1), unfollow(t2), unfollow(t2), follow(t3), follow(t4)]) {
      const state = history.reduce(followDecider.evolve, followDecider.initialState());
      const decision = followDecider.decide(command, state);
      if (!Array.isArray(decision)) throw new Error(`unexpected error ${JSON.stringify(decision)}`);
      history.push(...decision);
    }
    expect(history).toEqual([followed(t1), unfollowed(t2), followed(t3)]);
  });
});
