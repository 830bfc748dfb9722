import { accessTokenAudience, accessTokenIssuer, newId } from '@gram/service-kit';
import { SignJWT } from 'jose';
import type { KeyStore } from './key-store.js';

/** Access tokens live 15 minutes: short enough that a stolen one is soon useless, and no revocation list is needed elsewhere. */
export const defaultAccessTokenTtlSeconds = 15 * 60;

/**
 * Mints access tokens with the claims `@gram/service-kit`'s verifier expects: iss, aud, sub
 * (the account), sid (the session), signed EdDSA with the current key's `kid` in the header.
 */
export class AccessTokenIssuer {
  constructor(
    private readonly keys: KeyStore,
    readonly ttlSeconds: number = defaultAccessTokenTtlSeconds,
  ) {}

  issue(claims: { userId: string; sessionId: string }, now: Date): Promise<string> {
    const { kid, privateKey } = this.keys.signingKey;
    const issuedAt = Math.floor(now.getTime() / 1000);
    return new SignJWT({ sid: claims.sessionId })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
      .setIssuer(accessTokenIssuer)
      .setAudience(accessTokenAudience)
      .setSubject(claims.userId)
      .setJti(newId())
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.ttlSeconds)
      .sign(privateKey);
  }
}
