import { deciderSpec } from '@gram/service-kit/decider-spec';
import { describe, it } from 'vitest';
import { type SessionCommand, type SessionEvent, sessionDecider } from './session.js';

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
const start = (refreshTokenHash: string): SessionCommand => ({
  type: 'StartSession',
  data: { sessionId, userId, refreshTokenHash, startedAt: t0, expiresAt },
});
const refresh = (
  presented: string,
  options: { at?: string; account?: 'active' | 'deleted' | 'none' } = {},
): SessionCommand => ({
  type: 'RefreshSession',
  data: {
    presentedTokenHash: presented,
    nextTokenHash: 'next',
    account: options.account ?? 'active',
    refreshedAt: options.at ?? t1,
    expiresAt: later,
  },
});
const end = (presented: string, options: { at?: string; by?: string } = {}): SessionCommand => ({
  type: 'EndSession',
  data: { userId: options.by ?? userId, presentedTokenHash: presented, endedAt: options.at ?? t1 },
});

describe('starting a session', () => {
  it('records the hash of the first refresh token and when the session expires', () => {
    spec().when(start('h1')).thenRecords(started);
  });

  it('refuses to start a session id twice', () => {
    spec(started).when(start('h9')).thenFailsWith('SessionAlreadyExists');
  });
});

describe('refreshing a session', () => {
  it('rotates the current token and extends the session', () => {
    spec(started).when(refresh('h1')).thenRecords(refreshed('next'));
  });

  it('accepts the newest token after several rotations', () => {
    spec(started, refreshed('h2'), refreshed('h3')).when(refresh('h3')).thenRecords(refreshed('next'));
  });

  it('revokes the whole session when a spent token is presented again', () => {
    spec(started, refreshed('h2')).when(refresh('h1')).thenRecords(revoked('refresh-token-reuse'));
    spec(started, refreshed('h2'), refreshed('h3'))
      .when(refresh('h2'))
      .thenRecords(revoked('refresh-token-reuse'));
  });

  it('refuses a token the session never issued, without revoking it (a guess must not end a session)', () => {
    spec(started).when(refresh('forged')).thenFailsWith('UnknownRefreshToken');
  });

  it('refuses an expired session', () => {
    spec(started)
      .when(refresh('h1', { at: expiresAt }))
      .thenFailsWith('SessionExpired');
  });

  it('measures expiry from the latest rotation', () => {
    spec(started, refreshed('h2', t1, later))
      .when(refresh('h2', { at: '2025-02-15T00:00:00.000Z' }))
      .thenRecords(refreshed('next', '2025-02-15T00:00:00.000Z'));
  });

  it('refuses a revoked session, whatever token is presented', () => {
    spec(started, revoked('logout')).when(refresh('h1')).thenFailsWith('SessionWasRevoked');
    spec(started, refreshed('h2'), revoked('refresh-token-reuse'))
      .when(refresh('h2'))
      .thenFailsWith('SessionWasRevoked');
  });

  it('refuses a session that does not exist', () => {
    spec().when(refresh('h1')).thenFailsWith('SessionNotFound');
  });

  it('revokes the session of a deleted account', () => {
    spec(started)
      .when(refresh('h1', { account: 'deleted' }))
      .thenRecords(revoked('account-deleted'));
  });
});

describe('logging out', () => {
  it('revokes the session with its current refresh token', () => {
    spec(started, refreshed('h2')).when(end('h2')).thenRecords(revoked('logout'));
  });

  it('also ends an expired session', () => {
    spec(started)
      .when(end('h1', { at: later }))
      .thenRecords(revoked('logout', later));
  });

  it('treats a spent token as reuse', () => {
    spec(started, refreshed('h2')).when(end('h1')).thenRecords(revoked('refresh-token-reuse'));
  });

  it("refuses an unknown token, a revoked session and another user's session", () => {
    spec(started).when(end('forged')).thenFailsWith('UnknownRefreshToken');
    spec(started, revoked('logout')).when(end('h1')).thenFailsWith('SessionWasRevoked');
    spec(started)
      .when(end('h1', { by: '01990000-0000-7000-8000-00000000000b' }))
      .thenFailsWith('SessionNotFound');
  });
});

describe('session state', () => {
  it('remembers every spent token hash', () => {
    spec(started, refreshed('h2'))
      .when(refresh('h2'))
      .thenStateIs({
        status: 'active',
        sessionId,
        userId,
        currentTokenHash: 'next',
        spentTokenHashes: new Set(['h1', 'h2']),
        expiresAt: later,
      });
  });
});
