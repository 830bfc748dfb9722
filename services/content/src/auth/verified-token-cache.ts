import type { AccessTokenClaims, AccessTokenVerifier } from '@gram/service-kit';

export interface VerifiedTokenCacheOptions {
  /** how long a verification is reused at most, whatever the token's own expiry (ms) */
  maxAgeMs?: number;
  /** how many tokens are remembered; the oldest verification is forgotten first */
  maxEntries?: number;
  clock?: () => number;
}

/**
 * Reuses the verification of an access token the service has already checked, until the token
 * expires and for at most `maxAgeMs`. Checking an EdDSA signature is the largest single cost of
 * a like (about 150 µs of the one event loop, measured by bench/content.bench.ts), and a client
 * sends every request of its session with the same token.
 *
 * It is safe because what is cached is only what the signature proved (who the token names,
 * which session), never whether the account may still act: `isRevoked` (the account's status in
 * its user stream) still runs on every request. A token is never used past its `exp`, and a
 * token that failed verification is not remembered. `maxAgeMs` bounds how long a token signed by
 * a key identity has since withdrawn from its JWKS can still be accepted.
 */
export function cachingVerifier(
  inner: AccessTokenVerifier,
  options: VerifiedTokenCacheOptions = {},
): AccessTokenVerifier {
  const maxAgeMs = options.maxAgeMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 50_000;
  const clock = options.clock ?? Date.now;
  const verified = new Map<string, { claims: AccessTokenClaims; validUntil: number }>();

  return {
    async verify(token) {
      const now = clock();
      const hit = verified.get(token);
      if (hit && now < hit.validUntil) return hit.claims;
      if (hit) verified.delete(token);

      const claims = await inner.verify(token);
      const expiresAt = expiryOf(token);
      if (expiresAt !== undefined && expiresAt > now) {
        if (verified.size >= maxEntries) {
          // A Map iterates in insertion order: its first key is the oldest verification.
          const oldest = verified.keys().next();
          if (!oldest.done) verified.delete(oldest.value);
        }
        verified.set(token, { claims, validUntil: Math.min(expiresAt, now + maxAgeMs) });
      }
      return claims;
    },
  };
}

/** `exp` of a token whose signature was just verified, in ms; undefined when it has none. */
function expiryOf(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  const { exp }: { exp?: unknown } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  return typeof exp === 'number' ? exp * 1000 : undefined;
}
