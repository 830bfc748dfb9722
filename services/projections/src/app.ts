import {
  type AccessTokenVerifier,
  authentication,
  createServiceApp,
  type ServiceApp,
  type ServiceAppOptions,
} from '@gram/service-kit';
import type { Registry } from 'prom-client';
import { accountSearchRoutes } from './erasure-routes.js';
import { ReadModelQueries } from './queries/read-model-queries.js';
import { projectionsRoutes } from './routes.js';
import type { AppliedPositions } from './runtime/applied-positions.js';
import type { ReadModelStore } from './store/document-store.js';

/**
 * The read models the query API answers from. `current()` is read on every query, so the rebuild can switch
 * the API to fresh read models atomically: a query in flight finishes on the generation it started with.
 */
export interface ReadModels {
  /** the store queries answer from */
  current(): ReadModelStore;
  /**
   * The store a worker applies a message to, when that is not simply `current()`: a fenced read of which
   * generation is live (Generations.follow). Rejecting means the message waits.
   */
  forWrite?(): Promise<ReadModelStore>;
  /** called before each request: brings `current()` up to date when it may be out of date; never rejects */
  refresh?(): Promise<void>;
}

export function fixedReadModels(store: ReadModelStore): ReadModels {
  return { current: () => store };
}

export interface ProjectionsAppOptions {
  readModels: ReadModels;
  verifier: AccessTokenVerifier;
  logger?: ServiceAppOptions['logger'];
  /** INTERNAL_SERVICE_SECRET (distributed mode): only calls carrying it are served (see service-kit) */
  internalSecret?: string;
  /** what the workers of this process have applied, for read-your-writes */
  applied?: AppliedPositions;
  /** how long a read sending a consistency token waits at most (default 2000 ms) */
  consistencyTimeoutMs?: number;
  /** served at `/metrics` (Prometheus text): the workers' lag and positions */
  registry?: Registry;
}

/** The query API: every read route of API.md, served from the read models. */
export function buildProjectionsApp(options: ProjectionsAppOptions): ServiceApp {
  const app = createServiceApp({
    name: 'projections',
    description: 'Read models and the query API',
    logger: options.logger ?? false,
    internalSecret: options.internalSecret,
  });
  const queries = new ReadModelQueries(() => options.readModels.current());
  const { readModels } = options;
  if (readModels.refresh) {
    const refresh = readModels.refresh.bind(readModels);
    app.addHook('onRequest', async () => {
      await refresh();
    });
  }
  app.register(authentication, {
    verifier: options.verifier,
    // A deleted account's tokens answer 401 as soon as the read model knows of the deletion.
    isRevoked: (claims) => queries.isDeletedAccount(claims.userId),
  });
  app.register(projectionsRoutes, {
    queries,
    ...(options.applied ? { applied: options.applied } : {}),
    ...(options.consistencyTimeoutMs !== undefined
      ? { consistencyTimeoutMs: options.consistencyTimeoutMs }
      : {}),
  });
  // Identity's erasure of a deleted account, only where every call must carry the internal credential (the
  // distributed mode), so that it is never open to whoever reaches the port. The embedded mode mounts
  // projectionsRoutes alone and erases in-process (eraseAccountFromSearch).
  if (options.internalSecret !== undefined) app.register(accountSearchRoutes, { readModels });
  const { registry } = options;
  if (registry) {
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
      reply.type(registry.contentType).send(await registry.metrics()),
    );
  }
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
