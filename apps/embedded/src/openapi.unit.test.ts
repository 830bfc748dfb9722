import { buildGatewayApp } from '@gram/gateway';
import { apiRoutes, openApiPath } from '@gram/gateway/api-routes';
import type { ServiceApp } from '@gram/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedGateway } from '../test/embedded-gateway.js';

const upstreams = {
  identity: 'http://identity.invalid',
  content: 'http://content.invalid',
  'social-graph': 'http://social-graph.invalid',
  media: 'http://media.invalid',
  projections: 'http://projections.invalid',
};

interface Operation {
  responses: Record<string, { headers?: Record<string, unknown>; content?: unknown }>;
}
type OpenApi = { openapi: string; paths: Record<string, Record<string, Operation>> };

const modes: [string, () => Promise<{ app: ServiceApp; close: () => Promise<void> }>][] = [
  ['embedded', () => embeddedGateway()],
  [
    'distributed',
    async () => {
      const app = await buildGatewayApp({ upstreams, internalSecret: 'x'.repeat(32) });
      return { app, close: () => app.close() };
    },
  ],
];

describe.each(modes)('the OpenAPI document of the %s gateway', (_mode, build) => {
  let gateway: { app: ServiceApp; close: () => Promise<void> };
  let doc: OpenApi;
  beforeAll(async () => {
    gateway = await build();
    doc = (await gateway.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  });
  afterAll(() => gateway.close());

  const operation = (method: string, url: string) => doc.paths[openApiPath(url)]?.[method.toLowerCase()];

  it('is OpenAPI 3.1 and documents every route of API.md', () => {
    expect(doc.openapi).toBe('3.1.0');
    const missing = apiRoutes.filter((r) => operation(r.method, r.url) === undefined);
    expect(missing).toEqual([]);
  });

  it('documents 429 with Retry-After on the login and on every write, and on no read', () => {
    const limited = apiRoutes.filter(
      (r) => r.url === '/api/v1/auth/login' || (r.method !== 'GET' && !r.url.startsWith('/api/v1/auth/')),
    );
    for (const route of limited) {
      const tooMany = operation(route.method, route.url)?.responses['429'];
      expect(tooMany?.headers, `${route.method} ${route.url}`).toHaveProperty('retry-after');
      expect(tooMany?.content).toBeDefined();
    }
    for (const route of apiRoutes.filter((r) => r.method === 'GET')) {
      expect(
        operation(route.method, route.url)?.responses['429'],
        `${route.method} ${route.url}`,
      ).toBeUndefined();
    }
  });

  it('documents 401 on every route, since a bad token is refused wherever it is sent', () => {
    for (const route of apiRoutes) {
      expect(operation(route.method, route.url)?.responses, `${route.method} ${route.url}`).toHaveProperty(
        '401',
      );
    }
  });

  it('leads a request for / to Swagger UI, so that a newcomer’s first request finds the docs', async () => {
    const root = await gateway.app.inject({ method: 'GET', url: '/' });
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/docs');
    let res = root;
    for (let hops = 0; res.statusCode === 302 && hops < 3; hops += 1) {
      res = await gateway.app.inject({ method: 'GET', url: String(res.headers.location) });
    }
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await gateway.app.inject({ method: 'GET', url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });
});
