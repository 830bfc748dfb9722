import type { EventOfType } from '@gram/events';
import { type AccountStatus, assertNever, type Decider, DomainError } from '@gram/service-kit';

/**
 * One user's mute of another, in its own stream `mute-<muterId>_<mutedId>`, as follows are: muting twice
 * records nothing because two racing mutes by the same user decide one after the other on the stream's
 * expected revision. Who muted whom is the muter's alone: the events are internal (packages/events), so they
 * reach the project's own read models on an internal topic and no public topic, and no response but the
 * muter's own shows them.
 *
 * A mute decided while the muted account is being deleted can land after its UserDeleted (the two streams share
 * no transaction, see follow.ts); the read side keeps the deletion final whatever the order.
 */
export type MuteEvent = EventOfType<'UserMuted'> | EventOfType<'UserUnmuted'>;

export type MuteState = { status: 'none' } | { status: 'muted'; mutedAt: string } | { status: 'unmuted' };

export type MuteCommand =
  | {
      type: 'MuteUser';
      /** `muted`: the muted account's status, read by the handler from its user stream */
      data: { muterId: string; mutedId: string; mutedAt: string; muted: AccountStatus };
    }
  | {
      type: 'UnmuteUser';
      data: { muterId: string; mutedId: string; unmutedAt: string; muted: AccountStatus };
    };

export type MuteErrorCode = 'CannotMuteSelf' | 'UserNotFound';
export type MuteError = DomainError<MuteErrorCode>;

export const initialMuteState = (): MuteState => ({ status: 'none' });

export function evolveMute(_state: MuteState, event: MuteEvent): MuteState {
  switch (event.type) {
    case 'UserMuted':
      return { status: 'muted', mutedAt: event.data.mutedAt };
    case 'UserUnmuted':
      return { status: 'unmuted' };
    default:
      return assertNever(event);
  }
}

const userNotFound = () =>
  new DomainError<MuteErrorCode>('UserNotFound', 'the user does not exist or was deleted', 'userId');

export function decideMute(command: MuteCommand, state: MuteState): readonly MuteEvent[] | MuteError {
  switch (command.type) {
    case 'MuteUser': {
      const { muterId, mutedId, mutedAt, muted } = command.data;
      if (muterId === mutedId) return new DomainError('CannotMuteSelf', 'you cannot mute yourself', 'userId');
      if (muted !== 'active') return userNotFound();
      // Muting again is not an error: "I mute them" already holds.
      if (state.status === 'muted') return [];
      return [{ type: 'UserMuted', data: { muterId, mutedId, mutedAt } }];
    }
    case 'UnmuteUser': {
      const { muterId, mutedId, unmutedAt, muted } = command.data;
      if (muted !== 'active') return userNotFound();
      // Not muting (never, or not any more; yourself included) already is what the client asks for.
      if (state.status !== 'muted') return [];
      return [{ type: 'UserUnmuted', data: { muterId, mutedId, unmutedAt } }];
    }
    default:
      return assertNever(command);
  }
}

export const muteDecider: Decider<MuteCommand, MuteState, MuteEvent, MuteError> = {
  initialState: initialMuteState,
  evolve: evolveMute,
  decide: decideMute,
};
