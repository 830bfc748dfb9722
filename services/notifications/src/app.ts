import {
  type AccessTokenVerifier,
  authentication,
  createServiceApp,
  type ServiceApp,
  type ServiceAppOptions,
} from '@gram/service-kit';
import type { Registry } from 'prom-client';
import type { NotificationQueries } from './read-model/queries.js';
import { notificationsRoutes } from './routes.js';
import type { NotificationStreamOptions } from './stream/routes.js';

export interface NotificationsAppOptions {
  queries: NotificationQueries;
  verifier: AccessTokenVerifier;
  /** the live stream: where it hears changes, where its tickets live */
  stream: NotificationStreamOptions;
  logger?: ServiceAppOptions['logger'];
  /** INTERNAL_SERVICE_SECRET (distributed mode): only calls carrying it are served (see service-kit) */
  internalSecret?: string;
  /** served at `/metrics` (Prometheus text) when given: the consumer's lag (NotificationMetrics) and the process's */
  registry?: Registry;
}

/** The notifications service's HTTP API. */
export function buildNotificationsApp(options: NotificationsAppOptions): ServiceApp {
  const app = createServiceApp({
    name: 'notifications',
    description: 'Notifications: grouped activity of each account, unread markers, the live stream',
    logger: options.logger ?? false,
    internalSecret: options.internalSecret,
  });
  app.register(authentication, {
    verifier: options.verifier,
    // A deleted account's tokens answer 401 as soon as this read model knows of the deletion.
    isRevoked: (claims) => options.queries.isDeletedAccount(claims.userId),
  });
  app.register(notificationsRoutes, { queries: options.queries, stream: options.stream });
  const { registry } = options;
  if (registry) {
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
      reply.type(registry.contentType).send(await registry.metrics()),
    );
  }
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
