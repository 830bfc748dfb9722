import type { AccessTokenClaims, AccessTokenVerifier } from '@gram/service-kit';
import { LRUCache } from 'lru-cache';

export interface VerifiedTokensOptions {
  /** how long a verification is reused at most, whatever the token's own expiry (ms) */
  maxAgeMs?: number;
  /** how many tokens are remembered; the least recently used is forgotten first */
  maxEntries?: number;
}

/**
 * Reuses the signature check of an access token the gateway has already verified, until the token
 * expires and for at most `maxAgeMs`. The EdDSA signature check is the largest single cost of a read
 * through the gateway (most of its CPU on a feed read, measured by bench/gateway.bench.ts), and a
 * client sends every request of a session with the same token.
 *
 * Only what the signature proved is cached (who the token names, which session), never whether that
 * session or account may still act: the revocation check (identity's, in either mode) runs on every
 * request. A token that failed verification is not remembered; `maxAgeMs` bounds how long a token
 * signed by a key identity has since withdrawn from its JWKS is still accepted.
 */
export function verifiedTokens(
  inner: AccessTokenVerifier,
  options: VerifiedTokensOptions = {},
): AccessTokenVerifier {
  const maxAgeMs = options.maxAgeMs ?? 60_000;
  const verified = new LRUCache<string, AccessTokenClaims>({ max: options.maxEntries ?? 50_000 });
  return {
    async verify(token) {
      const hit = verified.get(token);
      if (hit !== undefined) return hit;
      const claims = await inner.verify(token);
      const untilExpiry = expiryOf(token) - Date.now();
      if (untilExpiry > 0) verified.set(token, claims, { ttl: Math.min(untilExpiry, maxAgeMs) });
      return claims;
    },
  };
}

/** `exp` of a token whose signature was just verified, in ms since the epoch; 0 when it has none. */
function expiryOf(token: string): number {
  const payload = token.split('.')[1] ?? '';
  const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  const exp = typeof claims === 'object' && claims !== null && 'exp' in claims ? claims.exp : undefined;
  return typeof exp === 'number' ? exp * 1000 : 0;
}
