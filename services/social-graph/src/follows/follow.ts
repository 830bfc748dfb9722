import type { EventOfType } from '@gram/events';
import {
  type AccountStanding,
  type AccountStatus,
  assertNever,
  type Decider,
  DomainError,
} from '@gram/service-kit';

/**
 * One user's follow of another, in its own stream `follow-<followerId>_<followeeId>`.
 * "Following twice changes nothing" is not a lookup in a list of followers: the stream's expected
 * revision makes two racing follows by the same user decide one after the other, and the second
 * one sees the first and records nothing.
 *
 * The race the stream cannot see: a follow decided while the followee (or the follower) is being
 * deleted. The handler reads the followee's user stream, finds it live, and appends UserFollowed;
 * identity may append UserDeleted to the user stream in between. The two streams share no
 * transaction (neither SQLite's adapter nor EventStoreDB offers a multi-stream condition), so the
 * log can hold a UserFollowed after the UserDeleted of either of its ends. The read side must
 * therefore treat UserDeleted as final whatever the order in which it receives the events: it
 * drops every edge of the account (as follower and as followee, with their counts) and keeps a
 * tombstone of the account, so that a UserFollowed delivered later (a tail of the log, or
 * another topic consumed out of order) for a deleted follower or followee is ignored and never
 * counted. Account ids are never reused, so the tombstone never has to be lifted. The write side
 * keeps such a stream as it is: a deleted account can no longer act, and following it answers 404.
 *
 * Follow requests live in the same stream. Following a private account records FollowRequested; accepting
 * it records FollowRequestAccepted and, in the same append, the UserFollowed that starts the follow, so every
 * consumer keeps counting follows from UserFollowed and UserUnfollowed alone. Accepting and declining race on
 * the stream's revision as two follows do: of any number of concurrent answers to one request, the first
 * appended decides, and the others, retried on the new revision, see it and record nothing (or find no
 * pending request). A follower removed by the followee is a UserUnfollowed with `endedBy: 'followee'`: for
 * every consumer of follows it is an unfollow.
 */
export type FollowEvent =
  | EventOfType<'UserFollowed'>
  | EventOfType<'UserUnfollowed'>
  | EventOfType<'FollowRequested'>
  | EventOfType<'FollowRequestAccepted'>
  | EventOfType<'FollowRequestDeclined'>
  | EventOfType<'FollowRequestWithdrawn'>;

export type FollowState =
  | { status: 'none' }
  | { status: 'requested'; requestedAt: string }
  | { status: 'following'; followedAt: string }
  /** unfollowed or removed, or a request declined or withdrawn: no follow and nothing pending */
  | { status: 'ended'; endedAt: string };

/**
 * The blocks between the pair, read by the handler from the two block streams (`block-<follower>_<followee>` and
 * `block-<followee>_<follower>`), never from a read model that may lag.
 */
export interface PairBlocks {
  /** the follower blocks the followee */
  byFollower: boolean;
  /** the followee blocks the follower */
  byFollowee: boolean;
}

export const noBlocks: PairBlocks = { byFollower: false, byFollowee: false };

export type FollowCommand =
  | {
      type: 'FollowUser';
      /**
       * `followee`: the followee's account status and private flag, read by the handler from its user stream
       * (readAccountStanding), never from a read model
       */
      data: {
        followerId: string;
        followeeId: string;
        followedAt: string;
        followee: AccountStanding;
        blocks: PairBlocks;
      };
    }
  | {
      /** unfollows, or withdraws the follower's pending request */
      type: 'UnfollowUser';
      data: {
        followerId: string;
        followeeId: string;
        unfollowedAt: string;
        followee: AccountStatus;
        blocks: PairBlocks;
      };
    }
  | {
      /** `follower`: the requester's account status, read from its user stream */
      type: 'AcceptFollowRequest';
      data: {
        followerId: string;
        followeeId: string;
        acceptedAt: string;
        follower: AccountStatus;
        blocks: PairBlocks;
      };
    }
  | {
      type: 'DeclineFollowRequest';
      data: {
        followerId: string;
        followeeId: string;
        declinedAt: string;
        follower: AccountStatus;
        blocks: PairBlocks;
      };
    }
  | {
      /** the followee ends the follow */
      type: 'RemoveFollower';
      data: {
        followerId: string;
        followeeId: string;
        removedAt: string;
        follower: AccountStatus;
        blocks: PairBlocks;
      };
    }
  | {
      /**
       * A block between the pair ends the follow or the pending request, as an ordinary act of the blocker
       * (`blocker`: which end of this stream blocked): the blocker's own follow is unfollowed and its request
       * withdrawn; a follow of the blocker is removed by it (`endedBy` followee) and a request to it declined. No
       * account check: it runs for a block already recorded, whatever became of either account since.
       */
      type: 'EndFollowOnBlock';
      data: { followerId: string; followeeId: string; endedAt: string; blocker: 'follower' | 'followee' };
    };

export type FollowErrorCode = 'CannotFollowSelf' | 'UserNotFound' | 'NoPendingRequest' | 'Blocked';
export type FollowError = DomainError<FollowErrorCode>;

export const initialFollowState = (): FollowState => ({ status: 'none' });

export function evolveFollow(state: FollowState, event: FollowEvent): FollowState {
  switch (event.type) {
    case 'UserFollowed':
      return { status: 'following', followedAt: event.data.followedAt };
    case 'UserUnfollowed':
      return { status: 'ended', endedAt: event.data.unfollowedAt };
    case 'FollowRequested':
      return { status: 'requested', requestedAt: event.data.requestedAt };
    // The UserFollowed appended with it makes the state `following`.
    case 'FollowRequestAccepted':
      return state;
    case 'FollowRequestDeclined':
      return { status: 'ended', endedAt: event.data.declinedAt };
    case 'FollowRequestWithdrawn':
      return { status: 'ended', endedAt: event.data.withdrawnAt };
    default:
      return assertNever(event);
  }
}

const userNotFound = () =>
  new DomainError<FollowErrorCode>('UserNotFound', 'the user does not exist or was deleted', 'userId');

/**
 * What a block between the pair answers to a write by one of them (`caller`) on their follow stream, or undefined
 * when the write may go on. The blocked account is answered as if the blocker did not exist: 404, the very answer
 * an unknown account gets, whatever it asks (follow, unfollow, accept, decline, remove). The blocker is told
 * 403 `blocked` for a write that would start a follow of or by the blocked account (`starts`: a follow, an
 * accepted request); its removals (unfollow, decline, remove a follower) go on and find nothing to remove, since the
 * block ended it all: "not following" already holds, so they answer 204 as they do for any account. When both
 * block each other, the caller is a blocked account first: 404.
 */
export function blockRefusal(
  caller: 'follower' | 'followee',
  blocks: PairBlocks,
  starts: boolean,
): FollowError | undefined {
  const byCaller = caller === 'follower' ? blocks.byFollower : blocks.byFollowee;
  const ofCaller = caller === 'follower' ? blocks.byFollowee : blocks.byFollower;
  if (ofCaller) return userNotFound();
  if (byCaller && starts) {
    return new DomainError('Blocked', 'you block this account: unblock it first', 'userId');
  }
  return undefined;
}

export function decideFollow(
  command: FollowCommand,
  state: FollowState,
): readonly FollowEvent[] | FollowError {
  switch (command.type) {
    case 'FollowUser': {
      const { followerId, followeeId, followedAt, followee, blocks } = command.data;
      if (followerId === followeeId) {
        return new DomainError('CannotFollowSelf', 'you cannot follow yourself', 'userId');
      }
      if (followee.status !== 'active') return userNotFound();
      const refusal = blockRefusal('follower', blocks, true);
      if (refusal) return refusal;
      // Following again, or asking again while the request is pending, is not an error: the client's intent
      // already holds, and one request is enough.
      if (state.status === 'following' || state.status === 'requested') return [];
      if (followee.isPrivate) {
        return [{ type: 'FollowRequested', data: { followerId, followeeId, requestedAt: followedAt } }];
      }
      return [{ type: 'UserFollowed', data: { followerId, followeeId, followedAt } }];
    }
    case 'UnfollowUser': {
      const { followerId, followeeId, unfollowedAt, followee, blocks } = command.data;
      if (followee !== 'active') return userNotFound();
      const refusal = blockRefusal('follower', blocks, false);
      if (refusal) return refusal;
      if (state.status === 'requested') {
        return [
          { type: 'FollowRequestWithdrawn', data: { followerId, followeeId, withdrawnAt: unfollowedAt } },
        ];
      }
      // Not following (never, or not any more; yourself included) already is what the client asks for.
      if (state.status !== 'following') return [];
      return [{ type: 'UserUnfollowed', data: { followerId, followeeId, unfollowedAt } }];
    }
    case 'AcceptFollowRequest': {
      const { followerId, followeeId, acceptedAt, follower, blocks } = command.data;
      if (follower !== 'active') return userNotFound();
      const refusal = blockRefusal('followee', blocks, true);
      if (refusal) return refusal;
      // Accepted already (by a racing accept, or a redelivered switch to public): the follow holds.
      if (state.status === 'following') return [];
      if (state.status !== 'requested') {
        return new DomainError('NoPendingRequest', 'this account has no pending follow request to you');
      }
      return [
        { type: 'FollowRequestAccepted', data: { followerId, followeeId, acceptedAt } },
        { type: 'UserFollowed', data: { followerId, followeeId, followedAt: acceptedAt } },
      ];
    }
    case 'DeclineFollowRequest': {
      const { followerId, followeeId, declinedAt, follower, blocks } = command.data;
      if (follower !== 'active') return userNotFound();
      const refusal = blockRefusal('followee', blocks, false);
      if (refusal) return refusal;
      // Nothing pending (never asked, withdrawn, declined or accepted already): nothing to decline.
      if (state.status !== 'requested') return [];
      return [{ type: 'FollowRequestDeclined', data: { followerId, followeeId, declinedAt } }];
    }
    case 'RemoveFollower': {
      const { followerId, followeeId, removedAt, follower, blocks } = command.data;
      if (follower !== 'active') return userNotFound();
      const refusal = blockRefusal('followee', blocks, false);
      if (refusal) return refusal;
      if (state.status !== 'following') return [];
      return [
        {
          type: 'UserUnfollowed',
          data: { followerId, followeeId, unfollowedAt: removedAt, endedBy: 'followee' },
        },
      ];
    }
    case 'EndFollowOnBlock': {
      const { followerId, followeeId, endedAt, blocker } = command.data;
      const ids = { followerId, followeeId };
      // Nothing standing (never, or ended already: by the route, a racing write's compensation, a redelivery).
      if (state.status === 'requested') {
        return blocker === 'follower'
          ? [{ type: 'FollowRequestWithdrawn', data: { ...ids, withdrawnAt: endedAt } }]
          : [{ type: 'FollowRequestDeclined', data: { ...ids, declinedAt: endedAt } }];
      }
      if (state.status !== 'following') return [];
      return [
        {
          type: 'UserUnfollowed',
          data:
            blocker === 'follower'
              ? { ...ids, unfollowedAt: endedAt }
              : { ...ids, unfollowedAt: endedAt, endedBy: 'followee' },
        },
      ];
    }
    default:
      return assertNever(command);
  }
}

export const followDecider: Decider<FollowCommand, FollowState, FollowEvent, FollowError> = {
  initialState: initialFollowState,
  evolve: evolveFollow,
  decide: decideFollow,
};
