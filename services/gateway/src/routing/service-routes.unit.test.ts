import { describe, expect, it } from 'vitest';
import { apiRoutes } from '../../test/api-routes.js';
import { buildGatewayApp } from '../app.js';
import { serviceRoutes } from './service-routes.js';

const upstreams = {
  identity: 'http://identity.invalid',
  content: 'http://content.invalid',
  'social-graph': 'http://social-graph.invalid',
  media: 'http://media.invalid',
  projections: 'http://projections.invalid',
  notifications: 'http://notifications.invalid',
};

describe('the routing table, the services’ own routes (service-routes.json)', () => {
  it('gives every route of API.md to the service that owns it', async () => {
    const owners = new Map((await serviceRoutes()).map((r) => [`${r.method} ${r.url}`, r.service]));
    for (const route of apiRoutes) {
      expect(owners.get(`${route.method} ${route.url}`), `${route.method} ${route.url}`).toBe(route.service);
    }
  });

  it('routes nothing API.md does not list but the JWKS, the stored image files and the export archives', async () => {
    const listed = new Set(apiRoutes.map((r) => `${r.method} ${r.url}`));
    const extra = (await serviceRoutes()).filter((r) => !listed.has(`${r.method} ${r.url}`));
    expect(extra.map((r) => `${r.method} ${r.url} ${r.service}`).sort()).toEqual([
      'GET /.well-known/jwks.json identity',
      'GET /api/v1/media/files/* media',
      'GET /api/v1/users/:userId/exports/:exportId/archive identity',
    ]);
  });

  it('never routes an internal path', async () => {
    expect((await serviceRoutes()).filter((r) => r.url.startsWith('/internal/'))).toEqual([]);
  });

  it('serves each of those routes on the distributed gateway', async () => {
    const app = await buildGatewayApp({ upstreams, internalSecret: 'x'.repeat(32) });
    try {
      await app.ready();
      for (const route of apiRoutes) {
        expect(app.hasRoute({ method: route.method, url: route.url }), `${route.method} ${route.url}`).toBe(
          true,
        );
      }
      expect(app.hasRoute({ method: 'POST', url: '/internal/v1/introspect' })).toBe(false);
    } finally {
      await app.close();
    }
  });
});
