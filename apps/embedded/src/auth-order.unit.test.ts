import { serviceRoutes } from '@gram/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedGateway } from '../test/embedded-gateway.js';

/** A route whose documented security has no anonymous alternative (`{}`) needs a token. */
const needsToken = (security: unknown) =>
  Array.isArray(security) && security.length > 0 && security.every((s) => Object.keys(s).length > 0);

describe('a request without a token to a route that needs one', () => {
  let gateway: Awaited<ReturnType<typeof embeddedGateway>>;
  beforeAll(async () => {
    gateway = await embeddedGateway();
  });
  afterAll(() => gateway.close());

  it('is answered 401 on every such route of every service, before its path, query or body is judged', async () => {
    const routes = (await serviceRoutes()).filter((route) => needsToken(route.schema?.security));
    expect(routes.map((route) => route.service)).toEqual(
      expect.arrayContaining(['identity', 'content', 'social-graph', 'media', 'projections']),
    );
    for (const route of routes) {
      // Everything a validator refuses at once: a malformed id, a limit out of range, a body of wrong fields.
      const url = `${route.url.replaceAll(/:[A-Za-z]+/g, 'not-an-id')}?limit=0`;
      const res = await gateway.app.inject({
        method: route.method,
        url,
        headers: { 'content-type': 'application/json' },
        payload: '{"caption":"\\u0000","text":5,"refreshToken":5,"unexpected":true}',
      });
      expect({
        route: `${route.method} ${route.url}`,
        status: res.statusCode,
        code: res.json().code,
      }).toEqual({
        route: `${route.method} ${route.url}`,
        status: 401,
        code: 'unauthorized',
      });
    }
  });
});
