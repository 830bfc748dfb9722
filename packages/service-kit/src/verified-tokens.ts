import { LRUCache } from 'lru-cache';
import type { AccessTokenClaims, AccessTokenVerifier } from './auth.js';

export interface VerifiedTokensOptions {
  /** how long a verification is reused at most, whatever the token's own expiry (ms) */
  maxAgeMs?: number;
  /** how many tokens are remembered; the least recently used is forgotten first */
  maxEntries?: number;
  /** the time in ms since the epoch; the system clock unless a test sets it */
  clock?: () => number;
}

/**
 * Reuses the signature check of an access token already verified, until the token expires and for at
 * most `maxAgeMs`. Checking an EdDSA signature is the largest single cost of a request (of a feed read
 * through the gateway, bench/gateway.bench.ts; of a like in content, bench/content.bench.ts), and a client
 * sends every request of a session with the same token.
 *
 * Only what the signature proved is cached (who the token names, which session), never whether that
 * session or account may still act: the revocation check runs on every request. A token is never used
 * past its `exp`, and one that failed verification is not remembered; `maxAgeMs` bounds how long a token
 * signed by a key identity has since withdrawn from its JWKS is still accepted.
 */
export function verifiedTokens(
  inner: AccessTokenVerifier,
  options: VerifiedTokensOptions = {},
): AccessTokenVerifier {
  const maxAgeMs = options.maxAgeMs ?? 60_000;
  const clock = options.clock ?? Date.now;
  const verified = new LRUCache<string, AccessTokenClaims>({
    max: options.maxEntries ?? 50_000,
    // A clock of its own is read on every check: lru-cache otherwise reuses a reading for a millisecond.
    ...(options.clock ? { perf: { now: options.clock }, ttlResolution: 0 } : {}),
  });
  return {
    async verify(token) {
      const hit = verified.get(token);
      if (hit !== undefined) return hit;
      const claims = await inner.verify(token);
      // lru-cache still answers an entry whose age equals its ttl; a token is refused from its `exp` on.
      const ttl = Math.floor(Math.min(expiryOf(token) - clock(), maxAgeMs)) - 1;
      if (ttl > 0) verified.set(token, claims, { ttl });
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
