import { describe, expect, it } from 'vitest';
import { deciderSpec } from '../testing/decider-spec.js';
import { type SessionEvent, sessionDecider } from './session.js';

const spec = deciderSpec(sessionDecider);
const sessionId = '01990000-0000-7000-8000-0000000000f1';
const userId = '01990000-0000-7000-8000-00000000000a';
const t0 = '2025-01-01T00:00:00.000Z';
const t1 = '2025-01-02T00:00:00.000Z';
const expiresAt = '2025-01-31T00:00:00.000Z';
const later = '2025-03-01T00:00:00.000Z';

const started: SessionEvent = {
  type: 'SessionStarted',
  data: { sessionId, userId, refreshTokenHash: 'h1', startedAt: t0, expiresAt },
};
const refreshed = (hash: string, at = t1, until = later): SessionEvent => ({
  type: 'SessionRefreshed',
  data: { sessionId, refreshTokenHash: hash, refreshedAt: at, expiresAt: until },
});
const revoked = (reason: 'logout' | 'refresh-token-reuse' | 'account-deleted', at = t1): SessionEvent => ({
  type: 'SessionRevoked',
  data: { sessionId, userId, reason, revokedAt: at },
});
const refresh = (presented: string, options: { at?: string; account?: 'active' | 'deleted' | 'none' } = {}) =>
  ({
    type: 'RefreshSession',
    presentedTokenHash: presented,
    nextTokenHash: 'next',
    account: options.account ?? 'active',
    at: options.at ?? t1,
    expiresAt: later,
  }) as const;

describe('starting a session', () => {
  it('records the hash of the first refresh token and when the session expires', () => {
    spec
      .given()
      .when({ type: 'StartSession', sessionId, userId, refreshTokenHash: 'h1', at: t0, expiresAt })
      .thenEvents([started]);
  });

  it('refuses to start a session id twice', () => {
    spec
      .given(started)
      .when({ type: 'StartSession', sessionId, userId, refreshTokenHash: 'h9', at: t0, expiresAt })
      .thenError('session-exists');
  });
});

describe('refreshing a session', () => {
  it('rotates the current token and extends the session', () => {
    spec
      .given(started)
      .when(refresh('h1'))
      .thenEvents([refreshed('next')]);
  });

  it('accepts the newest token after several rotations', () => {
    spec
      .given(started, refreshed('h2'), refreshed('h3'))
      .when(refresh('h3'))
      .thenEvents([refreshed('next')]);
  });

  it('revokes the whole session when a spent token is presented again', () => {
    spec
      .given(started, refreshed('h2'))
      .when(refresh('h1'))
      .thenEvents([revoked('refresh-token-reuse')]);
    spec
      .given(started, refreshed('h2'), refreshed('h3'))
      .when(refresh('h2'))
      .thenEvents([revoked('refresh-token-reuse')]);
  });

  it('refuses a token the session never issued, without revoking it (a guess must not end a session)', () => {
    spec.given(started).when(refresh('forged')).thenError('unknown-refresh-token');
  });

  it('refuses an expired session', () => {
    spec
      .given(started)
      .when(refresh('h1', { at: expiresAt }))
      .thenError('session-expired');
  });

  it('measures expiry from the latest rotation', () => {
    spec
      .given(started, refreshed('h2', t1, later))
      .when(refresh('h2', { at: '2025-02-15T00:00:00.000Z' }))
      .thenEvents([refreshed('next', '2025-02-15T00:00:00.000Z')]);
  });

  it('refuses a revoked session, whatever token is presented', () => {
    spec.given(started, revoked('logout')).when(refresh('h1')).thenError('session-revoked');
    spec
      .given(started, refreshed('h2'), revoked('refresh-token-reuse'))
      .when(refresh('h2'))
      .thenError('session-revoked');
  });

  it('refuses a session that does not exist', () => {
    spec.given().when(refresh('h1')).thenError('unknown-session');
  });

  it('revokes the session of a deleted account', () => {
    spec
      .given(started)
      .when(refresh('h1', { account: 'deleted' }))
      .thenEvents([revoked('account-deleted')]);
  });
});

describe('logging out', () => {
  it('revokes the session with its current refresh token', () => {
    spec
      .given(started, refreshed('h2'))
      .when({ type: 'EndSession', userId, presentedTokenHash: 'h2', at: t1 })
      .thenEvents([revoked('logout')]);
  });

  it('also ends an expired session', () => {
    spec
      .given(started)
      .when({ type: 'EndSession', userId, presentedTokenHash: 'h1', at: later })
      .thenEvents([revoked('logout', later)]);
  });

  it('treats a spent token as reuse', () => {
    spec
      .given(started, refreshed('h2'))
      .when({ type: 'EndSession', userId, presentedTokenHash: 'h1', at: t1 })
      .thenEvents([revoked('refresh-token-reuse')]);
  });

  it("refuses an unknown token, a revoked session and another user's session", () => {
    spec
      .given(started)
      .when({ type: 'EndSession', userId, presentedTokenHash: 'forged', at: t1 })
      .thenError('unknown-refresh-token');
    spec
      .given(started, revoked('logout'))
      .when({ type: 'EndSession', userId, presentedTokenHash: 'h1', at: t1 })
      .thenError('session-revoked');
    spec
      .given(started)
      .when({
        type: 'EndSession',
        userId: '01990000-0000-7000-8000-00000000000b',
        presentedTokenHash: 'h1',
        at: t1,
      })
      .thenError('unknown-session');
  });
});

describe('session state', () => {
  it('remembers every spent token hash', () => {
    const state = spec.stateAfter(started, refreshed('h2'), refreshed('h3'));
    expect(state).toMatchObject({ status: 'active', currentTokenHash: 'h3' });
    expect(state.status === 'active' && [...state.spentTokenHashes]).toEqual(['h1', 'h2']);
  });
});
