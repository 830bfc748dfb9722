import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { EventStore } from '@gram/event-store';
import {
  type AccessTokenVerifier,
  AccountDirectory,
  authentication,
  createServiceApp,
  type IdempotencyStore,
  idempotency,
  type ServiceApp,
  type ServiceAppOptions,
} from '@gram/service-kit';
import { Type } from '@sinclair/typebox';
import { accountMediaRoutes } from './erasure/routes.js';
import { fileRoutes } from './files/routes.js';
import type { MediaStorage } from './storage/media-storage.js';
import { uploadRoutes } from './uploads/routes.js';

export interface MediaRoutesOptions {
  store: EventStore;
  storage: MediaStorage;
  /** scheme and host of the URLs handed out, e.g. `https://gram.example` (MEDIA_PUBLIC_URL) */
  publicUrl: string;
  /** whether an uploader's account is deleted (read from `store` without it) */
  accounts?: AccountDirectory;
  now?: () => Date;
  /** uploads in progress at once before more are refused with 503, a quarter per account (default MAX_UPLOADS_IN_FLIGHT) */
  maxUploadsInFlight?: number;
}

/**
 * Every route of the service under its full public path. The gateway mounts this plugin as it is
 * in embedded mode (after registering `authentication` itself); the standalone app below does the same.
 */
export const mediaRoutes: FastifyPluginAsyncTypebox<MediaRoutesOptions> = async (app, options) => {
  await app.register(uploadRoutes, {
    store: options.store,
    storage: options.storage,
    publicUrl: options.publicUrl,
    accounts: options.accounts ?? new AccountDirectory(options.store),
    now: options.now ?? (() => new Date()),
    ...(options.maxUploadsInFlight ? { maxInFlight: options.maxUploadsInFlight } : {}),
  });
  await app.register(fileRoutes, { storage: options.storage });
};

export interface MediaAppDeps {
  store: EventStore;
  storage: MediaStorage;
  publicUrl: string;
  verifier: AccessTokenVerifier;
  logger?: ServiceAppOptions['logger'];
  /** INTERNAL_SERVICE_SECRET (distributed mode): only calls carrying it are served (see service-kit) */
  internalSecret?: string;
  now?: () => Date;
  maxUploadsInFlight?: number;
  /** where the answers to requests sent with an Idempotency-Key are kept (service-kit's idempotency) */
  idempotency?: IdempotencyStore;
}

/** The standalone media service: photo uploads and the files they stored. */
export function buildMediaApp(deps: MediaAppDeps): ServiceApp {
  const app = createServiceApp({
    name: 'media',
    description: 'Photo uploads: format sniffing, metadata stripping, variants, and serving the stored files',
    logger: deps.logger,
    internalSecret: deps.internalSecret,
  });
  const accounts = new AccountDirectory(deps.store);
  app.register(authentication, {
    verifier: deps.verifier,
    // A token of a deleted (or never registered) account is refused with 401: a deleted account uploads nothing.
    isRevoked: async (claims) => (await accounts.status(claims.userId)) !== 'active',
  });
  app.register(idempotency, deps.idempotency ? { store: deps.idempotency } : {});
  app.register(mediaRoutes, {
    store: deps.store,
    storage: deps.storage,
    publicUrl: deps.publicUrl,
    accounts,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.maxUploadsInFlight ? { maxUploadsInFlight: deps.maxUploadsInFlight } : {}),
  });
  // Internal, for identity's account deletion: only where every call must carry the internal credential (the
  // distributed mode), so that it is never open to whoever reaches the port. The embedded mode mounts mediaRoutes
  // alone and erases in-process (eraseAccountMedia).
  if (deps.internalSecret !== undefined) {
    app.register(accountMediaRoutes, {
      store: deps.store,
      storage: deps.storage,
      ...(deps.now ? { now: deps.now } : {}),
    });
  }
  app.get('/openapi.json', { schema: { hide: true, response: { 200: Type.Unknown() } } }, async () =>
    app.swagger(),
  );
  return app;
}
