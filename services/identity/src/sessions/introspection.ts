import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@sinclair/typebox';
import type { IdentityContext } from '../context.js';

export const introspectionPath = '/internal/v1/introspect';

/** The most tokens one batch may ask about: the gateway's batches are never larger. */
const maxIntrospectionBatch = 256;
const maxTokenLength = 4096;

const AccessToken = Type.String({ minLength: 1, maxLength: maxTokenLength });

const Introspection = Type.Union([
  Type.Object({ active: Type.Literal(true), userId: Type.String(), sessionId: Type.String() }),
  Type.Object({ active: Type.Literal(false) }),
]);
type Introspection = Static<typeof Introspection>;

/**
 * Token introspection for the gateway (in the spirit of RFC 7662): is this access token still good?
 * A signature check proves where a token came from, not that its session was not logged out or its
 * account deleted since: only identity knows that, so the gateway asks here after its own JWKS check.
 *
 * One token (`{ token }` answers one introspection) or a batch (`{ tokens }` answers `{ results }`, in
 * the same order): the gateway gathers the tokens of the requests that reach it together into one call,
 * since the HTTP round trip, not the check, was most of the cost of a call per request. Each token of a
 * batch is judged exactly as it would be alone, and a token that is not ours is `active: false` in its
 * slot, not a failure of the batch. The single form stays for gateways that predate batches.
 *
 * Internal: served by the standalone identity service only (not by `identityRoutes`, which the
 * embedded mode mounts on the public port), hidden from the OpenAPI document, never routed by the
 * gateway, and, like every route of a standalone service, answered only to a call carrying the internal
 * credential (service-kit's internal-credential.ts): a client that finds identity's port cannot use it to
 * test tokens. It answers 200 either way; `active: false` says nothing of why.
 */
export const introspectionRoutes: FastifyPluginAsyncTypebox<IdentityContext> = async (app, context) => {
  const introspect = async (token: string): Promise<Introspection> => {
    let claims: Awaited<ReturnType<typeof context.verifier.verify>>;
    try {
      claims = await context.verifier.verify(token);
    } catch {
      return { active: false };
    }
    if (await context.revocation.isRevoked(claims)) return { active: false };
    return { active: true, userId: claims.userId, sessionId: claims.sessionId };
  };

  app.post(
    introspectionPath,
    {
      schema: {
        hide: true,
        body: Type.Union([
          Type.Object({ token: AccessToken }, { additionalProperties: false }),
          Type.Object(
            {
              tokens: Type.Array(AccessToken, { minItems: 1, maxItems: maxIntrospectionBatch }),
            },
            { additionalProperties: false },
          ),
        ]),
        response: {
          200: Type.Union([Introspection, Type.Object({ results: Type.Array(Introspection) })]),
        },
      },
      // A full batch of tokens at their longest is past the default limit of 1 MiB.
      bodyLimit: 2 * maxIntrospectionBatch * maxTokenLength,
    },
    async (request) => {
      if ('token' in request.body) return introspect(request.body.token);
      // Side by side: a batch waits for its slowest store read, not for the sum of them.
      return { results: await Promise.all(request.body.tokens.map(introspect)) };
    },
  );
};
