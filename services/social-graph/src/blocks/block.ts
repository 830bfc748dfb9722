import type { EventOfType } from '@gram/events';
import { type AccountStatus, assertNever, type Decider, DomainError } from '@gram/service-kit';

/**
 * One user's block of another, in its own stream `block-<blockerId>_<blockedId>`, as mutes are: blocking twice
 * records nothing because two racing blocks by the same user decide one after the other on the stream's expected
 * revision. Who blocked whom is the blocker's alone: the events are internal (packages/events).
 *
 * What a block ends (follows and pending requests both ways) is not decided here but on the follow streams of the
 * pair, as the blocker's ordinary acts (follows/follow.ts, `EndFollowOnBlock`): by the block route right after
 * UserBlocked is appended, and by the reaction to UserBlocked (reactions.ts), which completes it after a crash.
 */
export type BlockEvent = EventOfType<'UserBlocked'> | EventOfType<'UserUnblocked'>;

export type BlockState =
  | { status: 'none' }
  | { status: 'blocked'; blockedAt: string }
  | { status: 'unblocked'; unblockedAt: string };

export type BlockCommand =
  | {
      type: 'BlockUser';
      /** `blocked`: the blocked account's status, read by the handler from its user stream */
      data: { blockerId: string; blockedId: string; blockedAt: string; blocked: AccountStatus };
    }
  | {
      type: 'UnblockUser';
      data: { blockerId: string; blockedId: string; unblockedAt: string; blocked: AccountStatus };
    };

export type BlockErrorCode = 'CannotBlockSelf' | 'UserNotFound';
export type BlockError = DomainError<BlockErrorCode>;

export const initialBlockState = (): BlockState => ({ status: 'none' });

export function evolveBlock(_state: BlockState, event: BlockEvent): BlockState {
  switch (event.type) {
    case 'UserBlocked':
      return { status: 'blocked', blockedAt: event.data.blockedAt };
    case 'UserUnblocked':
      return { status: 'unblocked', unblockedAt: event.data.unblockedAt };
    default:
      return assertNever(event);
  }
}

const userNotFound = () =>
  new DomainError<BlockErrorCode>('UserNotFound', 'the user does not exist or was deleted', 'userId');

export function decideBlock(command: BlockCommand, state: BlockState): readonly BlockEvent[] | BlockError {
  switch (command.type) {
    case 'BlockUser': {
      const { blockerId, blockedId, blockedAt, blocked } = command.data;
      if (blockerId === blockedId) {
        return new DomainError('CannotBlockSelf', 'you cannot block yourself', 'userId');
      }
      if (blocked !== 'active') return userNotFound();
      // Blocking again is not an error: "I block them" already holds.
      if (state.status === 'blocked') return [];
      return [{ type: 'UserBlocked', data: { blockerId, blockedId, blockedAt } }];
    }
    case 'UnblockUser': {
      const { blockerId, blockedId, unblockedAt, blocked } = command.data;
      if (blocked !== 'active') return userNotFound();
      // Not blocking (never, or not any more; yourself included) already is what the client asks for.
      if (state.status !== 'blocked') return [];
      return [{ type: 'UserUnblocked', data: { blockerId, blockedId, unblockedAt } }];
    }
    default:
      return assertNever(command);
  }
}

export const blockDecider: Decider<BlockCommand, BlockState, BlockEvent, BlockError> = {
  initialState: initialBlockState,
  evolve: evolveBlock,
  decide: decideBlock,
};
