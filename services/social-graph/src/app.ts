import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { EventStore } from '@gram/event-store';
import {
  type AccessTokenVerifier,
  AccountDirectory,
  authentication,
  createServiceApp,
  type ServiceApp,
  type ServiceAppOptions,
} from '@gram/service-kit';
import { Type } from '@sinclair/typebox';
import { blockRoutes } from './blocks/routes.js';
import { followerRoutes } from './follows/follower-routes.js';
import { followRoutes } from './follows/routes.js';
import { muteRoutes } from './mutes/routes.js';

export interface SocialGraphRoutesOptions {
  store: EventStore;
  /** account status from the user streams; shared with `authentication` so both see one cache of deletions */
  accounts: AccountDirectory;
  now?: () => Date;
}

/**
 * Every route of the service under its full public path. The gateway mounts this plugin as it is
 * in embedded mode (after registering `authentication` itself); the standalone app below does the same.
 */
export const socialGraphRoutes: FastifyPluginAsyncTypebox<SocialGraphRoutesOptions> = async (
  app,
  options,
) => {
  const routeOptions = {
    store: options.store,
    accounts: options.accounts,
    now: options.now ?? (() => new Date()),
  };
  await app.register(followRoutes, routeOptions);
  await app.register(followerRoutes, routeOptions);
  await app.register(muteRoutes, routeOptions);
  await app.register(blockRoutes, routeOptions);
};

export interface SocialGraphAppDeps {
  store: EventStore;
  verifier: AccessTokenVerifier;
  logger?: ServiceAppOptions['logger'];
  /** INTERNAL_SERVICE_SECRET (distributed mode): only calls carrying it are served (see service-kit) */
  internalSecret?: string;
  now?: () => Date;
}

/** The standalone social-graph service: follows, mutes and blocks. */
export function buildSocialGraphApp(deps: SocialGraphAppDeps): ServiceApp {
  const app = createServiceApp({
    name: 'social-graph',
    description:
      'Follows, mutes and blocks: who follows, mutes and blocks whom (the write side; the lists are served by projections)',
    logger: deps.logger,
    internalSecret: deps.internalSecret,
  });
  const accounts = new AccountDirectory(deps.store);
  app.register(authentication, {
    verifier: deps.verifier,
    // A token of a deleted (or never registered) account is refused with 401, from the same
    // user-stream knowledge that decides whether a followee exists.
    isRevoked: async (claims) => (await accounts.status(claims.userId)) !== 'active',
  });
  app.register(socialGraphRoutes, { store: deps.store, accounts, ...(deps.now ? { now: deps.now } : {}) });
  app.get('/openapi.json', { schema: { hide: true, response: { 200: Type.Unknown() } } }, async () =>
    app.swagger(),
  );
  return app;
}
