import {
  type AccessTokenClaims,
  type AccessTokenVerifier,
  bearerTokenOf,
  HttpProblem,
  unauthorized,
} from '@gram/service-kit';
import DataLoader from 'dataloader';
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

/** The most tokens in one introspection call: identity refuses a larger batch. */
const maxBatch = 256;

/**
 * Identity's `POST /internal/v1/introspect`. Only "inactive" answers are remembered: they are final
 * (a logged-out session or a deleted account never comes back), while an active token may be revoked
 * at any moment. It throws when identity gives no answer (the token check then answers 503).
 *
 * The tokens asked about in the same turn of the event loop go to identity together, in one call
 * (`{ tokens }`, up to 256), sent in that turn's check phase, once every request whose bytes arrived in its
 * poll phase has asked: no timer, so no request waits for requests yet to come. What it saves is HTTP handling, most of the cost of a call per request on both sides, not
 * identity's check: under load the requests of one turn share one call. The semantics are those of a
 * call per request: each token is judged by identity after its request arrived, since the call leaves
 * after its requests are all here, and no active answer is kept (`cache: false`), so a request that
 * arrives after a logout answered goes in a later call and is refused. A call that fails fails each of
 * its tokens (503 for each request). Identity must take batches before a gateway sends them: identity
 * goes first in a rolling deploy.
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
  const introspectBatch = async (tokens: readonly string[]): Promise<boolean[]> => {
    const res = await httpRequest(url, {
      dispatcher,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...credential },
      body: JSON.stringify({ tokens }),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`identity answered ${res.statusCode} to an introspection`);
    }
    const results = activeOf(await res.body.json(), tokens.length);
    tokens.forEach((token, i) => {
      if (!results[i]) inactive.set(token, true);
    });
    return results;
  };
  const batches = new DataLoader(introspectBatch, {
    cache: false,
    maxBatchSize: maxBatch,
    // After the event loop's poll phase rather than DataLoader's default (the end of the current job): each
    // request arrives in an I/O callback of its own, so a batch per job would hold one token.
    batchScheduleFn: (send) => setImmediate(send),
  });
  return async (token) => (inactive.has(token) ? false : batches.load(token));
}

/** Whether each token of a batch is active, from identity's answer: `{ results: [{ active }, ...] }`. */
function activeOf(answer: unknown, count: number): boolean[] {
  const results =
    typeof answer === 'object' && answer !== null && 'results' in answer ? answer.results : undefined;
  if (!Array.isArray(results) || results.length !== count) {
    throw new Error('identity answered an introspection of a batch with no result for each token');
  }
  return results.map(
    (result: unknown) =>
      typeof result === 'object' && result !== null && 'active' in result && result.active === true,
  );
}
