import type { FastifyInstance } from 'fastify';
import { Histogram, type Registry } from 'prom-client';

/**
 * Request rate and latency of the public API, by route pattern (`/api/v1/posts/:postId`, never the
 * concrete path, so the label set stays bounded), method and status. The histogram's `_count` is the
 * request count, whose rate() is the request rate. The time is fastify's own (`reply.elapsedTime`,
 * from the start of the request to the response's end), so one hook does it.
 */
export function recordHttpMetrics(app: FastifyInstance, registry: Registry): void {
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'time to answer a request at the gateway, by route pattern, method and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  app.addHook('onResponse', (request, reply, done) => {
    duration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: reply.statusCode,
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
