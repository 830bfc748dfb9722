import {
  type AccessTokenVerifier,
  createServiceApp,
  internalCredentialHeaders,
  jwksAccessTokenVerifier,
  type ServiceApp,
  type ServiceAppOptions,
  verifiedTokens,
} from '@gram/service-kit';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { Agent } from 'undici';
import { gatewayEdge } from './edge/edge.js';
import { defaultRateLimits, type RateLimitSettings, RateLimits } from './edge/rate-limits.js';
import type { DependencyChecks } from './edge/readiness.js';
import { forwardRoutes } from './proxy/forwarding.js';
import { identityIntrospection, tokenCheck } from './proxy/token-check.js';
import { healthChecks, httpReadSide, scrapeMetrics, type Upstreams } from './proxy/upstreams.js';
import { serviceRoutes } from './routing/service-routes.js';

export interface GatewayAppOptions {
  /** the base URL of every service */
  upstreams: Upstreams;
  /** INTERNAL_SERVICE_SECRET: sent on every call to a service, which refuses calls without it */
  internalSecret: string;
  /** where the rate-limit counters live, shared by every replica; in this process's memory without it */
  redis?: Redis;
  rateLimits?: Partial<RateLimitSettings>;
  /** the relay's metrics endpoint (e.g. `http://relay:9465`): its `/metrics` joins ours (as the projections' and
   * the notifications' do), its `/health` `/ready` */
  relayMetricsUrl?: string;
  /** where the gateway's own metrics are recorded; a fresh registry without it */
  registry?: Registry;
  /** identity's JWKS at `<identity>/.well-known/jwks.json` unless given */
  verifier?: AccessTokenVerifier;
  /** how long a service may take to answer (default 30 s: uploads are processed before they are answered) */
  upstreamTimeoutMs?: number;
  logger?: ServiceAppOptions['logger'];
  /** the proxies in front of the gateway (TRUST_PROXY, see trust-proxy.ts) */
  trustProxy?: ServiceAppOptions['trustProxy'];
}

/**
 * The gateway of the distributed mode, the one public door: the same edge as the embedded mode
 * (metrics, readiness, OpenAPI and docs, rate limits, read-after-write), then the token check, then
 * every route of API.md forwarded to the service that owns it, as the services' own route plugins
 * declare them (routing/service-routes.ts).
 */
export async function buildGatewayApp(options: GatewayAppOptions): Promise<ServiceApp> {
  const { upstreams } = options;
  // On every call the gateway makes to a service: each refuses a call without it (service-kit's internal-credential.ts).
  const credential = internalCredentialHeaders(options.internalSecret);
  const timeoutMs = options.upstreamTimeoutMs ?? 30_000;
  const routes = await serviceRoutes();
  const dispatcher = new Agent({
    connections: 128,
    keepAliveTimeout: 30_000,
    connect: { timeout: 3_000 },
  });
  const app = createServiceApp({
    name: 'gram',
    description: 'The public API of the photo-sharing app',
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
  });
  // Server-Sent Events: a connection per open stream, unbounded; a service silent for 60 s (four keepalives) is gone.
  const streamDispatcher = new Agent({
    keepAliveTimeout: 30_000,
    connect: { timeout: 3_000 },
    headersTimeout: timeoutMs,
    bodyTimeout: 60_000,
  });
  app.addHook('onClose', () => Promise.all([dispatcher.close(), streamDispatcher.close()]));

  const settings = { ...defaultRateLimits, ...options.rateLimits };
  const { redis, relayMetricsUrl } = options;
  const dependencies: DependencyChecks = {
    ...healthChecks(upstreams, dispatcher, credential),
    ...(relayMetricsUrl ? healthChecks({ relay: relayMetricsUrl }, dispatcher, credential) : {}),
    ...(redis ? { redis: () => redis.ping() } : {}),
  };
  await app.register(gatewayEdge, {
    registry: options.registry ?? new Registry(),
    rateLimits: redis ? RateLimits.inRedis(redis, settings) : RateLimits.inMemory(settings),
    dependencies,
    readSide: httpReadSide(upstreams.projections, dispatcher, credential, timeoutMs),
    moreMetrics: scrapeMetrics(
      {
        projections: new URL('/metrics', upstreams.projections).href,
        notifications: new URL('/metrics', upstreams.notifications).href,
        ...(relayMetricsUrl ? { relay: new URL('/metrics', relayMetricsUrl).href } : {}),
      },
      dispatcher,
      credential,
    ),
  });
  await app.register(tokenCheck, {
    verifier: verifiedTokens(
      options.verifier ??
        jwksAccessTokenVerifier(new URL('/.well-known/jwks.json', upstreams.identity), {
          headers: credential,
        }),
    ),
    introspect: identityIntrospection(upstreams.identity, dispatcher, credential),
  });
  await forwardRoutes(app, { routes, upstreams, dispatcher, streamDispatcher, timeoutMs, credential });
  return app;
}
