import type { DomainEvent } from '@gram/events';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { expect } from 'vitest';
import {
  type AccessTokenVerifier,
  accessTokenAudience,
  accessTokenIssuer,
  jwksAccessTokenVerifier,
} from './auth.js';
import { type Decider, type DomainError, foldEvents, isDomainError } from './domain.js';
import { newId } from './ids.js';

/**
 * A stand-in for identity's token signing in the tests of other services: real EdDSA keys and
 * real JWTs with identity's claims, verified through the same JWKS verifier production uses.
 */
export async function createTestTokenIssuer(): Promise<{
  verifier: AccessTokenVerifier;
  mint: (userId: string, options?: { sessionId?: string; expiresIn?: string }) => Promise<string>;
}> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const kid = newId();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  return {
    verifier: jwksAccessTokenVerifier({ keys: [jwk] }),
    mint: (userId, options = {}) =>
      new SignJWT({ sid: options.sessionId ?? newId() })
        .setProtectedHeader({ alg: 'EdDSA', kid })
        .setSubject(userId)
        .setIssuer(accessTokenIssuer)
        .setAudience(accessTokenAudience)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '15m')
        .sign(privateKey),
  };
}

/**
 * Given(events) / When(command) / Then(events or error) for a decider: the state is only ever
 * built by folding past events, exactly as it is when loaded from the store.
 */
export function deciderSpec<TCommand, TState, TEvent extends DomainEvent, TError extends DomainError>(
  decider: Decider<TCommand, TState, TEvent, TError>,
) {
  return (...given: TEvent[]) => ({
    when: (command: TCommand) => {
      const decision = decider.decide(command, foldEvents(decider.evolve, decider.initialState(), given));
      return {
        thenRecords: (...expected: TEvent[]) => {
          expect(isDomainError(decision) ? { unexpectedError: decision } : decision).toEqual(expected);
        },
        thenNothingHappens: () => {
          expect(isDomainError(decision) ? { unexpectedError: decision } : decision).toEqual([]);
        },
        thenFailsWith: (code: TError['code']) => {
          expect(isDomainError(decision) ? decision.code : { unexpectedEvents: decision }).toBe(code);
        },
      };
    },
  });
}
