import type { EventOfType } from '@gram/events';
import type { UniqueKind } from '@gram/personal-data';
import { type AccountStatus, assertNever, type Decider, DomainError } from '@gram/service-kit';

export type { UniqueKind };

/**
 * The claim on one unique value: a userName, an email or a phoneNo. Uniqueness is enforced by the
 * event store itself: the first claim is appended with expected revision "no stream", a claim after
 * a release with the exact revision of that release, so of two signups racing for one value exactly
 * one append succeeds. A read model could lag; the stream's revision cannot.
 */
export type ReservationEvent = EventOfType<'UniqueValueReserved'> | EventOfType<'UniqueValueReleased'>;

export type ReservationState =
  | { status: 'none' }
  | { status: 'reserved'; kind: UniqueKind; userId: string; reservedAt: string }
  | { status: 'released'; kind: UniqueKind; userId: string };

/** What the claimant knows about the account currently holding the value, read just before deciding. */
export interface Holder {
  userId: string;
  account: AccountStatus;
}

export type ReservationCommand =
  | {
      type: 'ReserveValue';
      data: {
        kind: UniqueKind;
        userId: string;
        reservedAt: string;
        /** the current holder's account status, when the value is held by another account */
        holder?: Holder;
      };
    }
  | { type: 'ReleaseValue'; data: { kind: UniqueKind; userId: string; releasedAt: string } };

/** what a ReserveValue command claims */
type Claim = Extract<ReservationCommand, { type: 'ReserveValue' }>['data'];

export type ReservationErrorCode = 'ValueTaken';
export type ReservationError = DomainError<ReservationErrorCode>;

/**
 * A claim whose account never got registered (its signup crashed between reserving and
 * registering) is abandoned after this long. A signup reserves and registers within one request,
 * seconds at most, so a claim this old without an account is certainly dead.
 */
export const abandonedClaimAfterMs = 15 * 60_000;

function isReclaimable(state: Extract<ReservationState, { status: 'reserved' }>, claim: Claim) {
  const { holder } = claim;
  // The holder was read before this decision: it only counts if it still describes the state.
  if (holder?.userId !== state.userId) return false;
  if (holder.account === 'deleted') return true;
  return (
    holder.account === 'none' &&
    Date.parse(claim.reservedAt) - Date.parse(state.reservedAt) >= abandonedClaimAfterMs
  );
}

export const reservationDecider: Decider<
  ReservationCommand,
  ReservationState,
  ReservationEvent,
  ReservationError
> = {
  initialState: () => ({ status: 'none' }),

  evolve(_state, event) {
    switch (event.type) {
      case 'UniqueValueReserved':
        return {
          status: 'reserved',
          kind: event.data.kind,
          userId: event.data.userId,
          reservedAt: event.data.reservedAt,
        };
      case 'UniqueValueReleased':
        return { status: 'released', kind: event.data.kind, userId: event.data.userId };
      default:
        return assertNever(event);
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'ReserveValue': {
        const { kind, userId, reservedAt } = command.data;
        const reserved: ReservationEvent = {
          type: 'UniqueValueReserved',
          data: { kind, userId, reservedAt },
        };
        if (state.status !== 'reserved') return [reserved];
        if (state.userId === userId) return [];
        // A deleted account whose release was lost, or a signup that died midway: the claim is
        // given up on its holder's behalf, in the same append that makes the new one.
        if (isReclaimable(state, command.data)) {
          return [
            {
              type: 'UniqueValueReleased',
              data: { kind: state.kind, userId: state.userId, releasedAt: reservedAt },
            },
            reserved,
          ];
        }
        return new DomainError('ValueTaken', `this ${kind} is already taken`, kind);
      }
      case 'ReleaseValue': {
        const { kind, userId, releasedAt } = command.data;
        // Releasing is idempotent: a value no longer held by this account is left alone.
        if (state.status !== 'reserved' || state.userId !== userId) return [];
        return [{ type: 'UniqueValueReleased', data: { kind, userId, releasedAt } }];
      }
      default:
        return assertNever(command);
    }
  },
};

const userNameShape = /^[A-Za-z0-9._]{3,30}$/;
const phoneNoShape = /^\+?[0-9]{7,15}$/;

/**
 * The unique values a login string may be: a login is one of the account's userName, email or
 * phoneNo, and some strings fit more than one (`1234567` is a valid userName and phoneNo).
 */
export function loginCandidates(login: string): { kind: UniqueKind; value: string }[] {
  const value = login.trim();
  const candidates: { kind: UniqueKind; value: string }[] = [];
  if (userNameShape.test(value)) candidates.push({ kind: 'userName', value });
  if (value.includes('@')) candidates.push({ kind: 'email', value });
  if (phoneNoShape.test(value)) candidates.push({ kind: 'phoneNo', value });
  return candidates;
}
