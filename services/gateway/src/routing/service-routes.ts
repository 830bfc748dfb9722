import { readFile } from 'node:fs/promises';
import type { FastifySchema, HTTPMethods } from 'fastify';

export const serviceNames = [
  'identity',
  'content',
  'social-graph',
  'media',
  'projections',
  'notifications',
] as const;
export type ServiceName = (typeof serviceNames)[number];

/** One public route and the service that owns it, with the schema that service declares for it. */
export interface ServiceRoute {
  service: ServiceName;
  method: HTTPMethods;
  /** fastify's pattern, e.g. `/api/v1/posts/:postId` */
  url: string;
  schema: FastifySchema | undefined;
}

/**
 * The routing table: every public route of every service, as the services' own route plugins declare
 * it (pattern and schema), so the distributed gateway routes and documents exactly what the services
 * serve. Internal routes (`/internal/...`) are not in it: the gateway never routes them; HEAD routes
 * neither: the gateway adds its own for every GET, as the services do.
 *
 * It is a file written from the plugins (`pnpm route-table`, by apps/embedded, the one package that
 * imports every service), not the plugins read here, so that the gateway depends on no service and its
 * image holds none; a test of apps/embedded fails as soon as the file and the plugins differ. Not each
 * service's `/openapi.json` fetched at start either: the gateway would then wait for every service to
 * start, and route nothing of one that was down when it did. Nor a second, hand-written list: the routes
 * and their schemas are the services' code, which a copy would drift from.
 */
export const serviceRoutesFile = new URL('./service-routes.json', import.meta.url);

export function serviceRoutes(): Promise<ServiceRoute[]> {
  // The file does not change while the process runs: read it once.
  table ??= readFile(serviceRoutesFile, 'utf8').then((text) => JSON.parse(text) as ServiceRoute[]);
  return table;
}

let table: Promise<ServiceRoute[]> | undefined;
