import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { IdentityContext } from '../context.js';

// The response schema lists the public members only: whatever else a key held would be dropped
// by the serializer, a second guard behind KeyStore's own.
const PublicJwk = Type.Object({
  kty: Type.Literal('OKP'),
  crv: Type.Literal('Ed25519'),
  x: Type.String(),
  kid: Type.String(),
  alg: Type.Literal('EdDSA'),
  use: Type.Literal('sig'),
});

/** The public keys that verify identity's access tokens. */
export const keyRoutes: FastifyPluginAsyncTypebox<IdentityContext> = async (app, context) => {
  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['identity'],
        summary: "The JSON Web Key Set of identity's token-signing keys (public keys only)",
        response: { 200: Type.Object({ keys: Type.Array(PublicJwk) }) },
      },
    },
    async (_request, reply) => {
      // Verifiers cache it; a rotation publishes the next key well before signing with it.
      reply.header('cache-control', 'public, max-age=300');
      return context.keys.jwks();
    },
  );
};
