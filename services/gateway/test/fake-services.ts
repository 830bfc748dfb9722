import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { internalCredentialHeader, isInternalCredential } from '@gram/service-kit';
import { createTestTokenIssuer } from '@gram/service-kit/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Upstreams } from '../src/proxy/upstreams.js';
import type { ServiceName } from '../src/routing/service-routes.js';

/** What a fake service received: one entry per request that reached it. */
export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bodyBytes: number;
  bodySha256: string;
}

export interface FakeService {
  url: string;
  received: Received[];
  /** requests refused for want of the internal credential, the gateway's own calls included */
  refused: { method: string; url: string }[];
  app: FastifyInstance;
}

/** The INTERNAL_SERVICE_SECRET the fake services share with the gateway under test. */
export const internalSecret = 'the-internal-secret-of-the-gateway-tests';

/**
 * A small real HTTP service on an ephemeral loopback port that records every request it gets and
 * answers `{ service, method, url }`, with `routes` to answer some paths its own way. Like a real
 * service it refuses every request without the internal credential (`/health` included: the gateway
 * sends it on every call, and the tests check that it does).
 */
export async function fakeService(
  name: string,
  routes: (app: FastifyInstance, received: Received[]) => void = () => {},
): Promise<FakeService> {
  const app = Fastify({ bodyLimit: 32 * 1024 * 1024 });
  const received: Received[] = [];
  const refused: FakeService['refused'] = [];
  app.addHook('onRequest', async (request, reply) => {
    if (isInternalCredential(request.headers[internalCredentialHeader], internalSecret)) return;
    refused.push({ method: request.method, url: request.url });
    return reply.code(401).send({ status: 401 });
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  // The gateway's own calls (health, keys, metrics, introspection) are not what the tests count.
  const ownCall = (url: string) =>
    ['/health', '/.well-known/jwks.json', '/metrics'].includes(url) || url.startsWith('/internal/');
  app.addHook('preHandler', async (request) => {
    if (ownCall(request.url)) return;
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    received.push({
      method: request.method,
      url: request.url,
      headers: request.headers,
      bodyBytes: body.length,
      bodySha256: createHash('sha256').update(body).digest('hex'),
    });
  });
  app.get('/health', async () => ({ status: 'ok' }));
  routes(app, received);
  app.all('/*', async (request) => ({ service: name, method: request.method, url: request.url }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    received,
    refused,
    app,
  };
}

/**
 * A fake identity with real keys: its JWKS, an introspection that knows revoked tokens (of one token or a
 * batch, as identity's), a login. `introspections` has the tokens of each introspection call, `introspected`
 * every token asked about.
 */
export async function fakeIdentity() {
  const issuer = await createTestTokenIssuer();
  const revoked = new Set<string>();
  const introspected: string[] = [];
  const introspections: string[][] = [];
  const service = await fakeService('identity', (app) => {
    app.get('/.well-known/jwks.json', async () => issuer.jwks);
    app.post<{ Body: Buffer }>('/internal/v1/introspect', async (request) => {
      const body = JSON.parse(request.body.toString('utf8')) as { token: string } | { tokens: string[] };
      const tokens = 'tokens' in body ? body.tokens : [body.token];
      introspections.push(tokens);
      introspected.push(...tokens);
      const results = tokens.map((token) => ({ active: !revoked.has(token) }));
      return 'tokens' in body ? { results } : results[0];
    });
    app.post<{ Body: Buffer }>('/api/v1/auth/login', async (request, reply) => {
      const { password } = JSON.parse(request.body.toString('utf8')) as { password: string };
      if (password !== 'right password') return reply.code(401).send({ status: 401 });
      return { accessToken: 'a', refreshToken: 'r' };
    });
  });
  return {
    ...service,
    issuer,
    revoked,
    introspected,
    introspections,
    token: (userId: string) => issuer.mint(userId),
  };
}

/** A port on which nothing listens (a service that is down). */
export async function closedPortUrl(): Promise<string> {
  const app = Fastify();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  await app.close();
  return `http://127.0.0.1:${port}`;
}

export type FakeUpstreams = Record<ServiceName, FakeService>;

export const urlsOf = (fakes: FakeUpstreams): Upstreams => ({
  identity: fakes.identity.url,
  content: fakes.content.url,
  'social-graph': fakes['social-graph'].url,
  media: fakes.media.url,
  projections: fakes.projections.url,
  notifications: fakes.notifications.url,
});
