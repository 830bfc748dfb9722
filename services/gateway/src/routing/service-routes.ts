import { contentRoutes } from '@gram/content';
import { openSqliteEventStore } from '@gram/event-store';
import { createIdentityContext, identityRoutes, KeyStore } from '@gram/identity';
import { type MediaStorage, mediaRoutes } from '@gram/media';
import { projectionsRoutes, ReadModelQueries } from '@gram/projections';
import { AccountDirectory, authentication, createServiceApp } from '@gram/service-kit';
import { socialGraphRoutes } from '@gram/social-graph';
import type { FastifySchema, HTTPMethods } from 'fastify';

export const serviceNames = ['identity', 'content', 'social-graph', 'media', 'projections'] as const;
export type ServiceName = (typeof serviceNames)[number];

/** One public route and the service that owns it, with the schema that service declares for it. */
export interface ServiceRoute {
  service: ServiceName;
  method: HTTPMethods;
  /** fastify's pattern, e.g. `/api/v1/posts/:postId` */
  url: string;
  schema: FastifySchema | undefined;
}

const refuseEverything = async (): Promise<never> => {
  throw new Error('the route catalogue serves no request');
};

/**
 * Every public route of every service, read from the services' own route plugins: each is registered
 * into a throwaway app, with deps that do nothing (an in-memory event store, storage and queries that
 * refuse), and an onRoute hook notes what it declares. So the distributed gateway's routing table and
 * its OpenAPI document are the services' own and cannot drift from them. No request is ever served.
 *
 * Internal routes (`/internal/...`) are left out: the gateway never routes them. HEAD routes too:
 * the gateway adds its own for every GET, as the services do.
 */
export function serviceRoutes(): Promise<ServiceRoute[]> {
  // The plugins are the same for the life of the process: read them once.
  catalogue ??= readServiceRoutes();
  return catalogue;
}

let catalogue: Promise<ServiceRoute[]> | undefined;

async function readServiceRoutes(): Promise<ServiceRoute[]> {
  const store = openSqliteEventStore({ path: ':memory:' });
  const app = createServiceApp({ name: 'route-catalogue' });
  const routes: ServiceRoute[] = [];
  try {
    const accounts = new AccountDirectory(store);
    const identity = createIdentityContext({ store, keys: await KeyStore.generate() });
    const storage: MediaStorage = {
      description: 'none (route catalogue)',
      put: refuseEverything,
      get: refuseEverything,
      delete: refuseEverything,
    };
    const queries = new ReadModelQueries(() => {
      throw new Error('the route catalogue serves no query');
    });

    await app.register(authentication, { verifier: { verify: refuseEverything } });
    const owned = (service: ServiceName, register: (scope: typeof app) => PromiseLike<unknown>) =>
      app.register(async (scope) => {
        scope.addHook('onRoute', (route) => {
          if (route.url.startsWith('/internal/')) return;
          for (const method of [route.method].flat()) {
            if (method !== 'HEAD') routes.push({ service, method, url: route.url, schema: route.schema });
          }
        });
        await register(scope);
      });
    await owned('identity', (scope) => scope.register(identityRoutes, identity));
    await owned('content', (scope) => scope.register(contentRoutes, { store, accounts }));
    await owned('social-graph', (scope) => scope.register(socialGraphRoutes, { store, accounts }));
    await owned('media', (scope) =>
      scope.register(mediaRoutes, { store, storage, publicUrl: 'http://route-catalogue.invalid' }),
    );
    await owned('projections', (scope) => scope.register(projectionsRoutes, { queries }));
  } finally {
    await app.close();
    await store.close();
  }
  return routes;
}
