import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { HttpProblem } from './problem.js';

export const accessTokenIssuer = 'gram-identity';
export const accessTokenAudience = 'gram-api';

export interface AccessTokenClaims {
  userId: string;
  sessionId: string;
}

export interface AccessTokenVerifier {
  /** the token's claims; throws when the token is malformed, expired, tampered or signed by an unknown key */
  verify(token: string): Promise<AccessTokenClaims>;
}

/**
 * Verifies identity's access tokens with its public keys only (JWKS): a service that verifies
 * cannot mint. `jwks` is identity's JWKS URL (distributed mode; fetched, cached and refetched on
 * an unknown `kid` by jose, with `options.headers`: the internal credential identity asks of every
 * caller) or the key set itself (embedded mode, same process).
 */
export function jwksAccessTokenVerifier(
  jwks: URL | JSONWebKeySet | JWTVerifyGetKey,
  options: { headers?: Record<string, string> } = {},
): AccessTokenVerifier {
  const keys =
    jwks instanceof URL
      ? createRemoteJWKSet(jwks, {
          cooldownDuration: 30_000,
          cacheMaxAge: 10 * 60_000,
          ...(options.headers ? { headers: options.headers } : {}),
        })
      : typeof jwks === 'function'
        ? jwks
        : createLocalJWKSet(jwks);
  return {
    async verify(token) {
      const { payload } = await jwtVerify(token, keys, {
        issuer: accessTokenIssuer,
        audience: accessTokenAudience,
        algorithms: ['EdDSA'],
      });
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') {
        throw new Error('access token lacks sub or sid');
      }
      return { userId: payload.sub, sessionId: payload.sid };
    },
  };
}

export interface AuthenticationOptions {
  verifier: AccessTokenVerifier;
  /**
   * Whether a validly signed token was revoked since it was issued: its account deleted, its
   * session logged out. Each service answers from what it can see (see its wiring).
   */
  isRevoked?: (claims: AccessTokenClaims) => Promise<boolean>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** the authenticated caller, or null for an anonymous request */
    auth: AccessTokenClaims | null;
  }
  interface FastifyInstance {
    /**
     * The `onRequest` hook of every route that needs a caller, and only there: it runs right after the
     * token is read, before the body is parsed or anything is validated, so a request without a token
     * is a 401 whatever else is wrong with it, from every service alike.
     */
    requireAuth: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}

/** The API's 401: a problem with the `WWW-Authenticate` challenge. */
export const unauthorized = (detail: string): HttpProblem =>
  new HttpProblem(401, detail, { headers: { 'www-authenticate': 'Bearer realm="gram"' } });

/**
 * The token of an `Authorization: Bearer` header: undefined without a header (an anonymous
 * request), a 401 for a header that is not a Bearer token. The scheme is matched ignoring case and
 * may be followed by several spaces (RFC 9110 §11.1, §11.4): `bearer` and `BEARER` are `Bearer`.
 */
export function bearerTokenOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer +([A-Za-z0-9._~+/=-]+)$/i.exec(header);
  if (!match?.[1]) throw unauthorized('the Authorization header is not a Bearer token');
  return match[1];
}

/**
 * Reads `Authorization: Bearer` on every request. A request without it is anonymous (routes with
 * optional auth serve it); a request with a bad token is refused with 401 even on optional routes,
 * so a client never mistakes an expired session for an anonymous view.
 */
export const authentication = fp<AuthenticationOptions>(
  async (app, options) => {
    app.decorateRequest('auth', null);
    app.addHook('onRequest', async (request) => {
      const token = bearerTokenOf(request.headers.authorization);
      if (token === undefined) return;
      let claims: AccessTokenClaims;
      try {
        claims = await options.verifier.verify(token);
      } catch {
        throw unauthorized('the access token is invalid or expired');
      }
      if (options.isRevoked && (await options.isRevoked(claims))) {
        throw unauthorized('the access token was revoked');
      }
      request.auth = claims;
    });
    app.decorate('requireAuth', async (request: FastifyRequest) => {
      if (!request.auth) throw unauthorized('this route needs an access token');
    });
  },
  { name: 'authentication' },
);

/** The caller of a route guarded by `requireAuth`. */
export function caller(request: FastifyRequest): AccessTokenClaims {
  if (!request.auth) throw unauthorized('this route needs an access token');
  return request.auth;
}
