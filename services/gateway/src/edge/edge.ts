import swaggerUi from '@fastify/swagger-ui';
import { problemBody, problems, TooManyRequests, tooManyRequests } from '@gram/service-kit';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';
import { recordHttpMetrics } from './http-metrics.js';
import type { RateLimits } from './rate-limits.js';
import { answerFromReadSide, type ReadSide, readAfterWriteRoutes } from './read-after-write.js';
import { checkDependencies, type DependencyChecks } from './readiness.js';

export interface GatewayEdgeOptions {
  /** where the gateway's metrics are recorded, and which `/metrics` serves */
  registry: Registry;
  rateLimits: RateLimits;
  /** what `/ready` checks */
  dependencies: DependencyChecks;
  /** how PATCH /posts/:postId and PATCH /users/me read their resource back (see read-after-write.ts) */
  readSide: ReadSide;
  /** Prometheus text of other processes, appended to `/metrics` (the distributed mode's read side and relay) */
  moreMetrics?: () => Promise<string>;
}

const writeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * What stands in front of the API in both modes, whatever serves the routes behind it (route plugins
 * mounted in this process, or a proxy to the services):
 * - request rate and latency in Prometheus form at `/metrics`, with whatever else the registry holds;
 * - `/ready` (every dependency reachable: 503 problem naming those that are not), `/openapi.json`
 *   (the route schemas of every service) and Swagger UI at `/docs`, where `/` leads;
 * - the rate limit of writes per authenticated user, answered 429 with `Retry-After` and documented
 *   on the routes it applies to (failed logins and signups are limited by identity, which knows which
 *   account a login names);
 * - read-after-write for the edits whose command side cannot count (read-after-write.ts).
 *
 * It works on routes as they are added (an onRoute hook), so it must be registered before them; routes
 * it has nothing to do with carry no hook of its own but the metrics one.
 */
export const gatewayEdge = fp<GatewayEdgeOptions>(
  async (app, options) => {
    const { rateLimits } = options;
    recordHttpMetrics(app, options.registry);

    const limitWrites = async (request: FastifyRequest, _reply: FastifyReply, payload: unknown) => {
      const userId = request.auth?.userId;
      if (userId !== undefined) {
        const wait = await rateLimits.write(userId);
        if (wait !== undefined) throw tooManyRequests(wait, 'too many writes: slow down');
      }
      return payload;
    };
    const readAfterWrite = answerFromReadSide(options.readSide);

    app.addHook('onRoute', (route) => {
      if (route.url.startsWith('/internal/')) {
        throw new Error(`${route.url} is internal: it must never be served on the public port`);
      }
      const methods = [route.method].flat();
      const isLimitedWrite =
        route.url.startsWith('/api/v1/') &&
        !route.url.startsWith('/api/v1/auth/') &&
        methods.some((method) => writeMethods.has(method));
      documentEdgeAnswers(route, isLimitedWrite);
      // preParsing: after the token check (onRequest) told who writes, before a body is read.
      if (isLimitedWrite) route.preParsing = [...hooks(route.preParsing), limitWrites];
      if (methods.some((method) => readAfterWriteRoutes.has(`${method} ${route.url}`))) {
        route.onSend = [...hooks(route.onSend), readAfterWrite];
      }
    });

    app.get('/ready', { schema: { hide: true } }, async (_request, reply) => {
      const { ready, failures } = await checkDependencies(options.dependencies);
      if (ready) return { status: 'ready', dependencies: Object.keys(options.dependencies) };
      const names = failures.map((failure) => failure.field).join(', ');
      return reply
        .code(503)
        .type('application/problem+json')
        .send(problemBody(503, `not ready: ${names} cannot be reached`, failures));
    });

    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      const own = await options.registry.metrics();
      const more = options.moreMetrics ? await options.moreMetrics() : '';
      return reply.type(options.registry.contentType).send(more ? `${own}\n${more}` : own);
    });

    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    await app.register(swaggerUi, { routePrefix: '/docs' });
    // The first request of someone trying the API out: the docs, where every route can be tried.
    app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/docs'));
  },
  { name: 'gateway-edge' },
);

/**
 * The answers the edge itself may give, added to the route's documented responses (a copy: route
 * schemas are shared constants of the services): 401 on every route, since a bad token is refused
 * wherever it is sent, and 429 where a rate limit applies.
 */
function documentEdgeAnswers(route: RouteOptions, rateLimited: boolean): void {
  const schema = route.schema;
  if (schema?.response === undefined || typeof schema.response !== 'object' || schema.response === null)
    return;
  const response = schema.response as Record<string, unknown>;
  const added: Record<string, unknown> = {};
  if (!('401' in response)) Object.assign(added, problems(401));
  if (rateLimited && !('429' in response)) added['429'] = TooManyRequests;
  if (Object.keys(added).length > 0) route.schema = { ...schema, response: { ...response, ...added } };
}

function hooks<T>(hook: T | T[] | undefined): T[] {
  if (hook === undefined) return [];
  return Array.isArray(hook) ? hook : [hook];
}
