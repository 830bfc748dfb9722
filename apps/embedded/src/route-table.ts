import { contentRoutes } from '@gram/content';
import { openSqliteEventStore } from '@gram/event-store';
import type { ServiceName, ServiceRoute } from '@gram/gateway';
import { createIdentityContext, type ExportStorage, identityRoutes, KeyStore } from '@gram/identity';
import { type MediaStorage, mediaRoutes } from '@gram/media';
import {
  InProcessNotificationChanges,
  memoryNotificationStore,
  memoryStreamTickets,
  NotificationQueries,
  notificationsRoutes,
} from '@gram/notifications';
import { DataKeys, inMemoryDataKeys } from '@gram/personal-data';
import { projectionsRoutes, ReadModelQueries } from '@gram/projections';
import { AccountDirectory, authentication, createServiceApp, idempotency } from '@gram/service-kit';
import { socialGraphRoutes } from '@gram/social-graph';

const refuseEverything = async (): Promise<never> => {
  throw new Error('the route catalogue serves no request');
};

/**
 * Every public route of every service, read from the services' own route plugins: each is registered
 * into a throwaway app, with deps that do nothing (an in-memory event store, storage and queries that
 * refuse), and an onRoute hook notes what it declares. No request is ever served. This is what the
 * distributed gateway's routing table holds (services/gateway/src/routing/service-routes.ts says why it
 * is a file): `pnpm route-table` writes it, and route-table.unit.test.ts fails when the two differ.
 *
 * Internal routes (`/internal/...`) are left out: the gateway never routes them. HEAD routes too:
 * the gateway adds its own for every GET, as the services do.
 */
export async function readServiceRoutes(): Promise<ServiceRoute[]> {
  const store = openSqliteEventStore({ path: ':memory:' });
  const app = createServiceApp({ name: 'route-catalogue' });
  const routes: ServiceRoute[] = [];
  try {
    const accounts = new AccountDirectory(store);
    const dataKeys = inMemoryDataKeys();
    const exportStorage: ExportStorage = {
      description: 'none (route catalogue)',
      put: refuseEverything,
      get: refuseEverything,
      delete: refuseEverything,
      deleteAccount: refuseEverything,
      deleteExpired: refuseEverything,
    };
    const identity = createIdentityContext({
      store,
      keys: await KeyStore.generate(),
      dataKeys,
      exports: {
        storage: exportStorage,
        sources: {
          followersOf: () => {
            throw new Error('the route catalogue builds no archive');
          },
          mediaFile: refuseEverything,
        },
        publicUrl: 'http://route-catalogue.invalid',
      },
    });
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
    await app.register(idempotency);
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
    await owned('content', (scope) =>
      scope.register(contentRoutes, {
        store,
        accounts,
        dataKeys: new DataKeys((accountId) => dataKeys.get(accountId)),
        mentions: { accountsNamed: refuseEverything },
      }),
    );
    await owned('social-graph', (scope) => scope.register(socialGraphRoutes, { store, accounts }));
    await owned('media', (scope) =>
      scope.register(mediaRoutes, { store, storage, publicUrl: 'http://route-catalogue.invalid' }),
    );
    await owned('projections', (scope) => scope.register(projectionsRoutes, { queries }));
    await owned('notifications', (scope) =>
      scope.register(notificationsRoutes, {
        queries: new NotificationQueries(memoryNotificationStore()),
        stream: { feed: new InProcessNotificationChanges(), tickets: memoryStreamTickets() },
      }),
    );
  } finally {
    await app.close();
    await store.close();
  }
  return routes;
}

/** The routes as the gateway's file holds them: JSON, so without TypeBox's symbol-keyed annotations. */
export const asWritten = (routes: ServiceRoute[]): ServiceRoute[] => JSON.parse(JSON.stringify(routes));
