import type { EventOfType } from '@gram/events';
import { type AccountStatus, assertNever, type Decider, DomainError } from '@gram/service-kit';

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
 */
export type FollowEvent = EventOfType<'UserFollowed'> | EventOfType<'UserUnfollowed'>;

export type FollowState =
  | { status: 'none' }
  | { status: 'following'; followedAt: string }
  | { status: 'unfollowed'; unfollowedAt: string };

export type FollowCommand =
  | {
      type: 'FollowUser';
      /** `followee`: the followee's account status, read by the handler from its user stream */
      data: { followerId: string; followeeId: string; followedAt: string; followee: AccountStatus };
    }
  | {
      type: 'UnfollowUser';
      data: { followerId: string; followeeId: string; unfollowedAt: string; followee: AccountStatus };
    };

export type FollowErrorCode = 'CannotFollowSelf' | 'UserNotFound';
export type FollowError = DomainError<FollowErrorCode>;

export const initialFollowState = (): FollowState => ({ status: 'none' });

export function evolveFollow(_state: FollowState, event: FollowEvent): FollowState {
  switch (event.type) {
    case 'UserFollowed':
      return { status: 'following', followedAt: event.data.followedAt };
    case 'UserUnfollowed':
      return { status: 'unfollowed', unfollowedAt: event.data.unfollowedAt };
    default:
      return assertNever(event);
  }
}

const userNotFound = () =>
  new DomainError<FollowErrorCode>('UserNotFound', 'the user does not exist or was deleted', 'userId');

export function decideFollow(
  command: FollowCommand,
  state: FollowState,
): readonly FollowEvent[] | FollowError {
  switch (command.type) {
    case 'FollowUser': {
      const { followerId, followeeId, followedAt, followee } = command.data;
      if (followerId === followeeId) {
        return new DomainError('CannotFollowSelf', 'you cannot follow yourself', 'userId');
      }
      if (followee !== 'active') return userNotFound();
      // Following again is not an error: the client's intent ("I follow them") already holds.
      if (state.status === 'following') return [];
      return [{ type: 'UserFollowed', data: { followerId, followeeId, followedAt } }];
    }
    case 'UnfollowUser': {
      const { followerId, followeeId, unfollowedAt, followee } = command.data;
      if (followee !== 'active') return userNotFound();
      // Not following (never, or not any more; yourself included) already is what the client asks for.
      if (state.status !== 'following') return [];
      return [{ type: 'UserUnfollowed', data: { followerId, followeeId, unfollowedAt } }];
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
