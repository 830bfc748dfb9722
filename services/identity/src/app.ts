import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  authentication,
  createServiceApp,
  type IdempotencyStore,
  idempotency,
  type ServiceApp,
  type ServiceAppOptions,
} from '@gram/service-kit';
import { createIdentityContext, type IdentityContext, type IdentityDeps } from './context.js';
import { exportRoutes } from './exports/routes.js';
import { dataKeyRoutes } from './keys/data-key-routes.js';
import { keyRoutes } from './keys/routes.js';
import { introspectionRoutes } from './sessions/introspection.js';
import { sessionRoutes } from './sessions/routes.js';
import { accountNameRoutes } from './users/account-names.js';
import { userRoutes } from './users/routes.js';

/**
 * Every route of identity under its full path. It needs `idempotency` and `authentication` registered around it
 * (it uses `requireAuth`), with `context.revocation.isRevoked` so that tokens of logged-out
 * sessions and deleted accounts are refused: `buildIdentityApp` does this for the standalone
 * service, the gateway does it when it mounts identity in the embedded mode.
 */
export const identityRoutes: FastifyPluginAsyncTypebox<IdentityContext> = async (app, context) => {
  await app.register(userRoutes, context);
  await app.register(sessionRoutes, context);
  await app.register(keyRoutes, context);
  if (context.exports) await app.register(exportRoutes, { ...context, exports: context.exports });
};

export interface IdentityAppOptions extends IdentityDeps {
  logger?: ServiceAppOptions['logger'];
  /** INTERNAL_SERVICE_SECRET (distributed mode): only calls carrying it are served (see service-kit) */
  internalSecret?: string;
  /** where the answers to signups sent with an Idempotency-Key are kept (service-kit's idempotency) */
  idempotency?: IdempotencyStore;
}

/** Identity as a service of its own: signup, login, tokens and JWKS, profile edits, account deletion. */
export async function buildIdentityApp(options: IdentityAppOptions): Promise<ServiceApp> {
  const { logger, internalSecret, idempotency: idempotencyStore, ...deps } = options;
  const context = createIdentityContext(deps);
  const app = createServiceApp({
    name: 'identity',
    description: 'Accounts, sessions and the keys that sign access tokens',
    ...(logger !== undefined ? { logger } : {}),
    internalSecret,
  });
  // Identity verifies its own tokens with its own public keys, in-process: it needs no JWKS_URL.
  await app.register(authentication, {
    verifier: context.verifier,
    isRevoked: context.revocation.isRevoked,
  });
  await app.register(idempotency, idempotencyStore ? { store: idempotencyStore } : {});
  await app.register(identityRoutes, context);
  // Internal, for the gateway and the services only: the embedded mode does not mount them, the gateway never
  // routes them.
  await app.register(introspectionRoutes, context);
  await app.register(dataKeyRoutes, context);
  await app.register(accountNameRoutes, context);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
