import {
  type AccessTokenClaims,
  type AccessTokenVerifier,
  bearerTokenOf,
  HttpProblem,
  unauthorized,
} from '@gram/service-kit';
import fp from 'fastify-plugin';
import { errors } from 'jose';
import { LRUCache } from 'lru-cache';
import { type Dispatcher, request as httpRequest } from 'undici';
import type { InternalCredential } from './upstreams.js';

/** Whether identity still honours a validly signed access token (session not logged out, account not deleted). */
export type TokenIntrospection = (token: string) => Promise<boolean>;

export interface TokenCheckOptions {
  /** identity's public keys (JWKS): the signature, expiry, issuer and audience */
  verifier: AccessTokenVerifier;
  introspect: TokenIntrospection;
}

/**
 * The distributed gateway's token check, before anything is forwarded: a request with a bad token
 * never reaches a service. Same rules as service-kit's `authentication` (which the embedded mode
 * uses): no Authorization header is an anonymous request, which the service judges; a header that
 * is not a valid, live access token is a 401 whatever the route. Signatures are checked here against
 * identity's JWKS (cached, refetched on an unknown `kid`); what a signature cannot tell, a logout or
 * a deleted account, identity tells through its introspection route.
 *
 * When identity's keys or introspection cannot be reached the answer is 503, never a 401: a client
 * must not throw its session away because identity was down.
 */
export const tokenCheck = fp<TokenCheckOptions>(
  async (app, options) => {
    app.decorateRequest('auth', null);
    app.addHook('onRequest', async (request) => {
      const token = bearerTokenOf(request.headers.authorization);
      if (token === undefined) return;
      let claims: AccessTokenClaims;
      try {
        claims = await options.verifier.verify(token);
      } catch (error) {
        if (keysUnreachable(error)) {
          request.log.error({ err: error }, "identity's signing keys (JWKS) cannot be fetched");
          throw new HttpProblem(503, 'access tokens cannot be checked right now; try again shortly');
        }
        throw unauthorized('the access token is invalid or expired');
      }
      let active: boolean;
      try {
        active = await options.introspect(token);
      } catch (error) {
        request.log.error({ err: error }, 'identity cannot introspect access tokens');
        throw new HttpProblem(503, 'access tokens cannot be checked right now; try again shortly');
      }
      if (!active) throw unauthorized('the access token was revoked');
      request.auth = claims;
    });
  },
  { name: 'gateway-token-check' },
);

/** jose's remote JWKS failed to fetch (a network error is a TypeError from fetch) or got no key set. */
function keysUnreachable(error: unknown): boolean {
  return (
    error instanceof TypeError || error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid
  );
}

/**
 * Identity's `POST /internal/v1/introspect`. Only "inactive" answers are remembered: they are final
 * (a logged-out session or a deleted account never comes back), while an active token may be revoked
 * at any moment. It throws when identity gives no answer (the token check then answers 503).
 */
export function identityIntrospection(
  identityUrl: string,
  dispatcher: Dispatcher,
  credential: InternalCredential,
  options: { timeoutMs?: number; rememberInactive?: number } = {},
): TokenIntrospection {
  const timeoutMs = options.timeoutMs ?? 3_000;
  const inactive = new LRUCache<string, true>({ max: options.rememberInactive ?? 50_000 });
  const url = new URL('/internal/v1/introspect', identityUrl);
  return async (token) => {
    if (inactive.has(token)) return false;
    const res = await httpRequest(url, {
      dispatcher,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...credential },
      body: JSON.stringify({ token }),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`identity answered ${res.statusCode} to an introspection`);
    }
    const answer: unknown = await res.body.json();
    if (typeof answer === 'object' && answer !== null && 'active' in answer && answer.active === true) {
      return true;
    }
    inactive.set(token, true);
    return false;
  };
}
