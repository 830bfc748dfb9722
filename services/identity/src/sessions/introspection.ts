import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { IdentityContext } from '../context.js';

export const introspectionPath = '/internal/v1/introspect';

const Introspection = Type.Union([
  Type.Object({ active: Type.Literal(true), userId: Type.String(), sessionId: Type.String() }),
  Type.Object({ active: Type.Literal(false) }),
]);

/**
 * Token introspection for the gateway (in the spirit of RFC 7662): is this access token still good?
 * A signature check proves where a token came from, not that its session was not logged out or its
 * account deleted since: only identity knows that, so the gateway asks here after its own JWKS check.
 *
 * Internal: served by the standalone identity service only (not by `identityRoutes`, which the
 * embedded mode mounts on the public port), hidden from the OpenAPI document, never routed by the
 * gateway, and, like every route of a standalone service, answered only to a call carrying the internal
 * credential (service-kit's internal-credential.ts): a client that finds identity's port cannot use it to
 * test tokens. It answers 200 either way; `active: false` says nothing of why.
 */
export const introspectionRoutes: FastifyPluginAsyncTypebox<IdentityContext> = async (app, context) => {
  app.post(
    introspectionPath,
    {
      schema: {
        hide: true,
        body: Type.Object(
          { token: Type.String({ minLength: 1, maxLength: 4096 }) },
          { additionalProperties: false },
        ),
        response: { 200: Introspection },
      },
    },
    async (request) => {
      let claims: Awaited<ReturnType<typeof context.verifier.verify>>;
      try {
        claims = await context.verifier.verify(request.body.token);
      } catch {
        return { active: false as const };
      }
      if (await context.revocation.isRevoked(claims)) return { active: false as const };
      return { active: true as const, userId: claims.userId, sessionId: claims.sessionId };
    },
  );
};
