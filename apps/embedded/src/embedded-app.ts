import { contentReactions, contentRoutes } from '@gram/content';
import type { EventStore } from '@gram/event-store';
import {
  defaultRateLimits,
  gatewayEdge,
  type RateLimitSettings,
  RateLimits,
  type ReadSide,
} from '@gram/gateway';
import {
  type AccessLimitSettings,
  AccessLimits,
  createIdentityContext,
  defaultAccessLimits,
  type ExportStorage,
  identityRoutes,
  type KeyStore,
  liveAccountsNamed,
} from '@gram/identity';
import { eraseAccountMedia, type MediaStorage, mediaRoutes } from '@gram/media';
import { memoryReactionCheckpoint, type ReactionCheckpoint, startLogReactions } from '@gram/messaging';
import {
  memoryStreamTickets,
  NotificationMetrics,
  notificationsRoutes,
  type ReadMarkings,
  startEmbeddedNotifications,
} from '@gram/notifications';
import { type DataKeyStore, DataKeys } from '@gram/personal-data';
import {
  type EmbeddedProjections,
  eraseAccountFromSearch,
  ProjectionMetrics,
  projectionsRoutes,
  ReadModelQueries,
  startEmbeddedProjections,
} from '@gram/projections';
import { RelayMetrics } from '@gram/relay';
import {
  authentication,
  createServiceApp,
  type IdempotencyStore,
  idempotency,
  jwksAccessTokenVerifier,
  type ServiceApp,
  type ServiceAppOptions,
  verifiedTokens,
} from '@gram/service-kit';
import { socialGraphReactions, socialGraphRoutes } from '@gram/social-graph';
import { Registry } from 'prom-client';

export interface EmbeddedAppOptions {
  store: EventStore;
  keys: KeyStore;
  /** the accounts' data keys (identity's `dataKeys`): `keys.sqlite` under DATA_DIR in main.ts */
  dataKeys: DataKeyStore;
  media: { storage: MediaStorage; publicUrl: string };
  /**
   * Where export archives are kept (`exports` under DATA_DIR in main.ts) and the origin of their download links
   * (the gateway's, this app's); without it no export routes are served.
   */
  exports?: { storage: ExportStorage; publicUrl: string };
  logger?: ServiceAppOptions['logger'];
  /** the proxies in front of the gateway (TRUST_PROXY, see the gateway's edge/trust-proxy.ts) */
  trustProxy?: ServiceAppOptions['trustProxy'];
  settings?: { defaultProfilePic?: string };
  /** writes per user, counted in this process's memory; the defaults of rate-limits.ts unless given */
  rateLimits?: Partial<RateLimitSettings>;
  /** identity's login and signup limits, counted in this process's memory; identity's defaults unless given */
  accessLimits?: Partial<AccessLimitSettings>;
  /** where the gateway's, the in-process relay's and the projections' metrics are recorded; a fresh one without it */
  registry?: Registry;
  /**
   * Read models already started on this store, which the caller stops (the benchmark serves them to a
   * standalone query API beside the gateway); started here, with the registry's metrics, without it.
   */
  projections?: EmbeddedProjections;
  /** where the answers to requests sent with an Idempotency-Key are kept; in this process's memory without it */
  idempotency?: IdempotencyStore;
  /**
   * How far into the log the services' reactions are done (`reactions.checkpoint` under DATA_DIR in main.ts), so a
   * restart resumes them; in this process's memory without it (a restart then starts them at the log's head).
   */
  reactionsCheckpoint?: ReactionCheckpoint;
  /**
   * Where the notifications' read markers are kept (`notifications.sqlite` under DATA_DIR in main.ts), so a restart,
   * which rebuilds the notifications from the log, finds them read as they were; in memory without it.
   */
  readMarkings?: ReadMarkings;
}

/**
 * Every service in one process (the embedded mode): the same route plugins the standalone
 * services serve, mounted behind the gateway's edge (metrics, readiness, docs, rate limits counted
 * in memory, read-after-write) and one `authentication`. Identity's revocation check is the one
 * used, since it knows both deleted accounts and logged-out sessions. The read models live in
 * memory: rebuilt from the event log at start, then fed by the in-process bus.
 */
export async function buildEmbeddedApp(options: EmbeddedAppOptions): Promise<ServiceApp> {
  let projections = options.projections;
  // The read models are started below; an archive is built long after, on whatever generation is current.
  const queries = new ReadModelQueries(() => {
    if (projections === undefined) throw new Error('the read models are not started yet');
    return projections.store;
  });
  const identity = createIdentityContext({
    store: options.store,
    keys: options.keys,
    dataKeys: options.dataKeys,
    // The only process on this store: live accounts and sessions are remembered, not re-read per request.
    soleWriter: true,
    // An account's uploaded files are erased in this process, from the storage the media routes below write to.
    erasers: [
      {
        name: 'media files',
        erase: async (accountId) => {
          await eraseAccountMedia({ store: options.store, storage: options.media.storage }, accountId);
        },
      },
      // The account leaves search in this process's read models, before the deletion answers.
      {
        name: 'search',
        erase: async (accountId) => {
          if (projections === undefined) throw new Error('the read models are not started yet');
          await eraseAccountFromSearch(projections.store, accountId);
        },
      },
    ],
    limits: AccessLimits.inMemory({ ...defaultAccessLimits, ...options.accessLimits }),
    settings: options.settings?.defaultProfilePic
      ? { defaultProfilePic: options.settings.defaultProfilePic }
      : {},
    ...(options.exports
      ? {
          exports: {
            ...options.exports,
            // An archive's followers and photos come from this process's read models and media storage.
            sources: {
              followersOf: (accountId: string) => everyFollower(queries, accountId),
              mediaFile: async (key: string) => (await options.media.storage.get(key))?.body,
            },
          },
        }
      : {}),
  });
  // The personal fields the log holds encrypted, read by content and the read models with identity's own key
  // store (one process), through one cache.
  const dataKeys = new DataKeys((accountId) => options.dataKeys.get(accountId));
  const registry = options.registry ?? new Registry();
  const app = createServiceApp({
    name: 'gram',
    description: 'The public API of the photo-sharing app',
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
  });
  // The read side is in this process: a read-back is a request to this very app.
  const readSide: ReadSide = async (path, headers) => {
    const res = await app.inject({ method: 'GET', url: path, headers });
    return { statusCode: res.statusCode, body: res.body, headers: res.headers };
  };
  await app.register(gatewayEdge, {
    registry,
    rateLimits: RateLimits.inMemory({ ...defaultRateLimits, ...options.rateLimits }),
    dependencies: { 'event-store': () => options.store.headPosition() },
    readSide,
  });
  await app.register(authentication, {
    verifier: verifiedTokens(jwksAccessTokenVerifier(options.keys.jwks())),
    isRevoked: identity.revocation.isRevoked,
  });
  await app.register(idempotency, options.idempotency ? { store: options.idempotency } : {});
  await app.register(identityRoutes, identity);
  await app.register(contentRoutes, {
    store: options.store,
    accounts: identity.accounts,
    dataKeys,
    // A text's mentions are looked up in identity's reservations, in this process.
    mentions: { accountsNamed: (userNames) => liveAccountsNamed(identity, userNames) },
  });
  await app.register(socialGraphRoutes, { store: options.store, accounts: identity.accounts });
  await app.register(mediaRoutes, { store: options.store, accounts: identity.accounts, ...options.media });

  if (projections === undefined) {
    const started = await startEmbeddedProjections(options.store, {
      metrics: new ProjectionMetrics(registry),
      relayObserver: new RelayMetrics(registry),
      dataKeys,
    });
    app.addHook('onClose', () => started.stop());
    projections = started;
  }
  // The services' reactions (social-graph: what a block ends, the requests a switch to public accepts; content: what
  // a block removes under the blocker's posts) read the log from their own checkpoint, not the read models' bus,
  // which starts where the rebuilt read models end: a block appended just before a crash still gets its reaction.
  const reactions = await startLogReactions({
    store: options.store,
    reactions: [socialGraphReactions({ store: options.store }), contentReactions({ store: options.store })],
    checkpoint: options.reactionsCheckpoint ?? memoryReactionCheckpoint(),
  });
  app.addHook('onClose', () => reactions.stop());
  await app.register(projectionsRoutes, { queries, applied: projections.applied });
  // Notifications: a consumer group of their own on the same bus, rebuilt from the log at start.
  const notifications = await startEmbeddedNotifications({
    events: options.store,
    bus: projections.bus,
    dataKeys,
    metrics: new NotificationMetrics(registry),
    ...(options.readMarkings ? { readMarkings: options.readMarkings } : {}),
  });
  await app.register(notificationsRoutes, {
    queries: notifications.queries,
    stream: { feed: notifications.changes, tickets: memoryStreamTickets() },
  });
  return app;
}

/** Every follower of the account, page after page, as the followers route lists them. */
async function* everyFollower(queries: ReadModelQueries, accountId: string) {
  let cursor: string | undefined;
  do {
    const page = await queries.followers(accountId, { limit: 100, ...(cursor ? { cursor } : {}) });
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}
