import type { AccountStatus } from '@gram/service-kit';
import { deciderSpec } from '@gram/service-kit/decider-spec';
import { describe, expect, it } from 'vitest';
import { type FollowCommand, type FollowEvent, followDecider, noBlocks, type PairBlocks } from './follow.js';

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
  blocks: PairBlocks = noBlocks,
): FollowCommand => ({
  type: 'FollowUser',
  data: { followerId, followeeId: of, followedAt, followee: { status: followee, isPrivate }, blocks },
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
  blocks: PairBlocks = noBlocks,
): FollowCommand => {
  switch (type) {
    case 'AcceptFollowRequest':
      return { type, data: { followerId, followeeId, acceptedAt: at, follower, blocks } };
    case 'DeclineFollowRequest':
      return { type, data: { followerId, followeeId, declinedAt: at, follower, blocks } };
    case 'RemoveFollower':
      return { type, data: { followerId, followeeId, removedAt: at, follower, blocks } };
  }
};
const unfollow = (
  unfollowedAt: string,
  followee: AccountStatus = 'active',
  of = followeeId,
  blocks: PairBlocks = noBlocks,
): FollowCommand => ({
  type: 'UnfollowUser',
  data: { followerId, followeeId: of, unfollowedAt, followee, blocks },
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

const byFollower: PairBlocks = { byFollower: true, byFollowee: false };
const byFollowee: PairBlocks = { byFollower: false, byFollowee: true };
const both: PairBlocks = { byFollower: true, byFollowee: true };
const withdrawn = (withdrawnAt: string): FollowEvent => ({
  type: 'FollowRequestWithdrawn',
  data: { followerId, followeeId, withdrawnAt },
});
const declined = (declinedAt: string): FollowEvent => ({
  type: 'FollowRequestDeclined',
  data: { followerId, followeeId, declinedAt },
});

describe('follows across a block', () => {
  it('refuses a follow of an account the follower blocks with Blocked, a private one too', () => {
    spec()
      .when(follow(t1, 'active', followeeId, false, byFollower))
      .thenFailsWith('Blocked', 'userId');
    spec()
      .when(follow(t1, 'active', followeeId, true, byFollower))
      .thenFailsWith('Blocked', 'userId');
  });

  it('answers not found to a follow of an account that blocks the follower, as for an unknown one', () => {
    spec()
      .when(follow(t1, 'active', followeeId, false, byFollowee))
      .thenFailsWith('UserNotFound', 'userId');
    spec()
      .when(follow(t1, 'active', followeeId, true, both))
      .thenFailsWith('UserNotFound', 'userId');
  });

  it('answers not found to an unfollow of an account that blocks the follower', () => {
    spec(followed(t1))
      .when(unfollow(t2, 'active', followeeId, byFollowee))
      .thenFailsWith('UserNotFound', 'userId');
  });

  it('lets the blocker unfollow: nothing stands after the block, so nothing is recorded', () => {
    spec()
      .when(unfollow(t1, 'active', followeeId, byFollower))
      .thenNothingHappens();
  });

  it('refuses the blocker an accept of the blocked account with Blocked', () => {
    spec(requested(t1))
      .when(answer('AcceptFollowRequest', t2, 'active', byFollowee))
      .thenFailsWith('Blocked', 'userId');
  });

  it('answers not found to the blocked account accepting, declining or removing the blocker', () => {
    for (const type of ['AcceptFollowRequest', 'DeclineFollowRequest', 'RemoveFollower'] as const) {
      spec(requested(t1))
        .when(answer(type, t2, 'active', byFollower))
        .thenFailsWith('UserNotFound', 'userId');
    }
  });

  it('lets the blocker decline or remove the blocked account: nothing to end, nothing recorded', () => {
    spec(requested(t1), declined(t2))
      .when(answer('DeclineFollowRequest', t3, 'active', byFollowee))
      .thenNothingHappens();
    spec(followed(t1), {
      type: 'UserUnfollowed',
      data: { followerId, followeeId, unfollowedAt: t2, endedBy: 'followee' },
    })
      .when(answer('RemoveFollower', t3, 'active', byFollowee))
      .thenNothingHappens();
  });
});

const endOnBlock = (endedAt: string, blocker: 'follower' | 'followee'): FollowCommand => ({
  type: 'EndFollowOnBlock',
  data: { followerId, followeeId, endedAt, blocker },
});

describe('EndFollowOnBlock', () => {
  it("ends the blocker's follow as its own unfollow", () => {
    spec(followed(t1)).when(endOnBlock(t2, 'follower')).thenRecords(unfollowed(t2));
  });

  it("ends the blocked account's follow as removed by the blocker (endedBy followee)", () => {
    spec(followed(t1))
      .when(endOnBlock(t2, 'followee'))
      .thenRecords({
        type: 'UserUnfollowed',
        data: { followerId, followeeId, unfollowedAt: t2, endedBy: 'followee' },
      });
  });

  it("withdraws the blocker's pending request and declines the blocked account's", () => {
    spec(requested(t1)).when(endOnBlock(t2, 'follower')).thenRecords(withdrawn(t2));
    spec(requested(t1)).when(endOnBlock(t2, 'followee')).thenRecords(declined(t2));
  });

  it('records nothing when nothing stands: never followed, or ended already (a redelivery)', () => {
    spec().when(endOnBlock(t1, 'followee')).thenNothingHappens();
    spec(followed(t1), unfollowed(t2)).when(endOnBlock(t3, 'follower')).thenNothingHappens();
    spec(requested(t1), declined(t2)).when(endOnBlock(t3, 'followee')).thenNothingHappens();
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
