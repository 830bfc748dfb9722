import { contentRoutes } from '@gram/content';
import type { EventStore } from '@gram/event-store';
import { createIdentityContext, identityRoutes, type KeyStore } from '@gram/identity';
import { type MediaStorage, mediaRoutes } from '@gram/media';
import { projectionsRoutes, ReadModelQueries, startEmbeddedProjections } from '@gram/projections';
import {
  authentication,
  createServiceApp,
  jwksAccessTokenVerifier,
  type ServiceApp,
  type ServiceAppOptions,
} from '@gram/service-kit';
import { socialGraphRoutes } from '@gram/social-graph';

export interface EmbeddedAppOptions {
  store: EventStore;
  keys: KeyStore;
  media: { storage: MediaStorage; publicUrl: string };
  logger?: ServiceAppOptions['logger'];
  settings?: { defaultProfilePic?: string };
}

/**
 * Every service in one process (the embedded mode): the same route plugins the standalone
 * services serve, mounted behind one `authentication`. Identity's revocation check is the one
 * used, since it knows both deleted accounts and logged-out sessions. The read models live in
 * memory: rebuilt from the event log at start, then fed by the in-process bus.
 */
export async function buildEmbeddedApp(options: EmbeddedAppOptions): Promise<ServiceApp> {
  const identity = createIdentityContext({
    store: options.store,
    keys: options.keys,
    settings: options.settings?.defaultProfilePic
      ? { defaultProfilePic: options.settings.defaultProfilePic }
      : {},
  });
  const app = createServiceApp({
    name: 'gram',
    description: 'The public API of the photo-sharing app',
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  await app.register(authentication, {
    verifier: jwksAccessTokenVerifier(options.keys.jwks()),
    isRevoked: identity.revocation.isRevoked,
  });
  await app.register(identityRoutes, identity);
  await app.register(contentRoutes, { store: options.store, accounts: identity.accounts });
  await app.register(socialGraphRoutes, { store: options.store, accounts: identity.accounts });
  await app.register(mediaRoutes, { store: options.store, ...options.media });

  const projections = await startEmbeddedProjections(options.store);
  app.addHook('onClose', () => projections.stop());
  await app.register(projectionsRoutes, { queries: new ReadModelQueries(() => projections.store) });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
