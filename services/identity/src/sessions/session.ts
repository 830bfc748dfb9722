import type { EventOfType } from '@gram/events';
import { type AccountStatus, assertNever, type Decider, DomainError } from '@gram/service-kit';

/**
 * A login session: one refresh-token family. Every refresh rotates the token; the stream keeps
 * only hashes. Presenting a token that was already spent means two parties hold the family
 * (one of them stole it), so the whole session is revoked: neither can refresh again, and every
 * access token of the session stops working on identity's routes.
 */
export type SessionEvent =
  | EventOfType<'SessionStarted'>
  | EventOfType<'SessionRefreshed'>
  | EventOfType<'SessionRevoked'>;

export type RevocationReason = EventOfType<'SessionRevoked'>['data']['reason'];

export type SessionState =
  | { status: 'none' }
  | {
      status: 'active';
      sessionId: string;
      userId: string;
      /** hash of the one refresh token that may be used next */
      currentTokenHash: string;
      /** hashes of every token this session issued and that was rotated away */
      spentTokenHashes: ReadonlySet<string>;
      expiresAt: string;
    }
  | { status: 'revoked'; sessionId: string; userId: string; reason: RevocationReason };

export type SessionCommand =
  | {
      type: 'StartSession';
      data: {
        sessionId: string;
        userId: string;
        refreshTokenHash: string;
        startedAt: string;
        expiresAt: string;
      };
    }
  | {
      type: 'RefreshSession';
      data: {
        presentedTokenHash: string;
        nextTokenHash: string;
        /** the status of the session's account, read just before deciding */
        account: AccountStatus;
        refreshedAt: string;
        expiresAt: string;
      };
    }
  | { type: 'EndSession'; data: { userId: string; presentedTokenHash: string; endedAt: string } };

export type SessionErrorCode =
  | 'SessionAlreadyExists'
  | 'SessionNotFound'
  | 'SessionWasRevoked'
  | 'SessionExpired'
  | 'UnknownRefreshToken';
export type SessionError = DomainError<SessionErrorCode>;

export const sessionDecider: Decider<SessionCommand, SessionState, SessionEvent, SessionError> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    switch (event.type) {
      case 'SessionStarted':
        return {
          status: 'active',
          sessionId: event.data.sessionId,
          userId: event.data.userId,
          currentTokenHash: event.data.refreshTokenHash,
          spentTokenHashes: new Set(),
          expiresAt: event.data.expiresAt,
        };
      case 'SessionRefreshed':
        if (state.status !== 'active') return state;
        return {
          ...state,
          currentTokenHash: event.data.refreshTokenHash,
          spentTokenHashes: new Set([...state.spentTokenHashes, state.currentTokenHash]),
          expiresAt: event.data.expiresAt,
        };
      case 'SessionRevoked':
        return {
          status: 'revoked',
          sessionId: event.data.sessionId,
          userId: event.data.userId,
          reason: event.data.reason,
        };
      default:
        return assertNever(event);
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'StartSession': {
        const { sessionId, userId, refreshTokenHash, startedAt, expiresAt } = command.data;
        if (state.status !== 'none') {
          return new DomainError('SessionAlreadyExists', `session ${sessionId} already exists`);
        }
        return [
          { type: 'SessionStarted', data: { sessionId, userId, refreshTokenHash, startedAt, expiresAt } },
        ];
      }
      case 'RefreshSession': {
        const { presentedTokenHash, nextTokenHash, account, refreshedAt, expiresAt } = command.data;
        if (state.status === 'none') return new DomainError('SessionNotFound', 'the session does not exist');
        if (state.status === 'revoked')
          return new DomainError('SessionWasRevoked', 'the session was revoked');
        if (account !== 'active') return [revoked(state, 'account-deleted', refreshedAt)];
        if (state.spentTokenHashes.has(presentedTokenHash)) {
          return [revoked(state, 'refresh-token-reuse', refreshedAt)];
        }
        // A token this session never issued (a guess built on a known session id) must not be
        // able to revoke somebody else's session: it is refused and changes nothing.
        if (presentedTokenHash !== state.currentTokenHash) {
          return new DomainError('UnknownRefreshToken', 'the refresh token is not one of this session');
        }
        if (Date.parse(refreshedAt) >= Date.parse(state.expiresAt)) {
          return new DomainError('SessionExpired', 'the session expired');
        }
        return [
          {
            type: 'SessionRefreshed',
            data: { sessionId: state.sessionId, refreshTokenHash: nextTokenHash, refreshedAt, expiresAt },
          },
        ];
      }
      case 'EndSession': {
        const { userId, presentedTokenHash, endedAt } = command.data;
        if (state.status === 'none') return new DomainError('SessionNotFound', 'the session does not exist');
        if (state.status === 'revoked')
          return new DomainError('SessionWasRevoked', 'the session was revoked');
        if (state.userId !== userId) {
          return new DomainError('SessionNotFound', 'the session is not one of the caller');
        }
        if (state.spentTokenHashes.has(presentedTokenHash)) {
          return [revoked(state, 'refresh-token-reuse', endedAt)];
        }
        if (presentedTokenHash !== state.currentTokenHash) {
          return new DomainError('UnknownRefreshToken', 'the refresh token is not one of this session');
        }
        // An expired session can still be logged out: the client wants it gone either way.
        return [revoked(state, 'logout', endedAt)];
      }
      default:
        return assertNever(command);
    }
  },
};

function revoked(
  state: Extract<SessionState, { status: 'active' }>,
  reason: RevocationReason,
  at: string,
): SessionEvent {
  return {
    type: 'SessionRevoked',
    data: { sessionId: state.sessionId, userId: state.userId, reason, revokedAt: at },
  };
}
