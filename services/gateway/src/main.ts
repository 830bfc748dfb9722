// The gateway of the distributed mode: the one public port, in front of the services' own processes.
//
//   PORT                          listening port (default 8080); HOST (default 0.0.0.0)
//   INTERNAL_SERVICE_SECRET       required, at least 32 bytes: sent on every call to a service, each of which
//                                 refuses calls without it (see packages/service-kit/src/internal-credential.ts)
//   IDENTITY_URL                  identity's base URL (default http://127.0.0.1:4001): its routes, its JWKS
//                                 (/.well-known/jwks.json) and its token introspection (/internal/v1/introspect)
//   CONTENT_URL                   default http://127.0.0.1:4002
//   SOCIAL_GRAPH_URL              default http://127.0.0.1:4003
//   PROJECTIONS_URL               default http://127.0.0.1:4004 (every read; its /metrics joins the gateway's)
//   MEDIA_URL                     default http://127.0.0.1:4005
//   NOTIFICATIONS_URL             default http://127.0.0.1:4006
//   REDIS_URL                     the write counters shared by every gateway replica, e.g. redis://127.0.0.1:6379;
//                                 without it they are counted in this process's memory (one replica only)
//   RELAY_METRICS_URL             optional, the relay's metrics port, e.g. http://127.0.0.1:9465: its /metrics
//                                 joins the gateway's, its /health is checked by /ready
//   WRITES_PER_USER_PER_MINUTE    writes per authenticated user per minute before 429 (default 300); logins and
//                                 signups are limited by identity (services/identity/src/main.ts)
//   UPSTREAM_TIMEOUT_MS           how long a service may take to answer before 504 (default 30000)
//   LOG_LEVEL                     pino level (default info)
import { closeOnSignals, internalSecretFromEnv, prettyOnTerminal } from '@gram/service-kit';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { buildGatewayApp } from './app.js';
import { rateLimitsFromEnv, rateLimitsRedis } from './edge/rate-limits.js';
import { trustProxyFromEnv } from './edge/trust-proxy.js';
import type { Upstreams } from './proxy/upstreams.js';

const env = process.env;
const internalSecret = internalSecretFromEnv(env);
const upstreams: Upstreams = {
  identity: env.IDENTITY_URL || 'http://127.0.0.1:4001',
  content: env.CONTENT_URL || 'http://127.0.0.1:4002',
  'social-graph': env.SOCIAL_GRAPH_URL || 'http://127.0.0.1:4003',
  projections: env.PROJECTIONS_URL || 'http://127.0.0.1:4004',
  media: env.MEDIA_URL || 'http://127.0.0.1:4005',
  notifications: env.NOTIFICATIONS_URL || 'http://127.0.0.1:4006',
};
const timeout = Number(env.UPSTREAM_TIMEOUT_MS || 30_000);
if (!Number.isSafeInteger(timeout) || timeout <= 0)
  throw new Error('UPSTREAM_TIMEOUT_MS must be a positive integer');

const redis = env.REDIS_URL ? rateLimitsRedis(env.REDIS_URL) : undefined;
const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'gram_gateway_' });

const app = await buildGatewayApp({
  upstreams,
  internalSecret,
  rateLimits: rateLimitsFromEnv(env),
  registry,
  upstreamTimeoutMs: timeout,
  ...(redis ? { redis } : {}),
  ...(env.RELAY_METRICS_URL ? { relayMetricsUrl: env.RELAY_METRICS_URL } : {}),
  logger: prettyOnTerminal({ level: env.LOG_LEVEL ?? 'info', redact: ['req.headers.authorization'] }),
  trustProxy: trustProxyFromEnv(env.TRUST_PROXY),
});
redis?.on('error', (error) => app.log.warn({ err: error }, 'redis: rate limits count in memory meanwhile'));
app.addHook('onClose', async () => {
  redis?.disconnect();
});
closeOnSignals(app);

await app.listen({ port: Number(env.PORT ?? 8080), host: env.HOST ?? '0.0.0.0' });
app.log.info(
  { upstreams, rateLimits: redis ? 'redis' : 'memory', relayMetrics: env.RELAY_METRICS_URL ?? null },
  'gateway ready',
);
