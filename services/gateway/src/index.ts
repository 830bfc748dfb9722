export * from './app.js';
export * from './edge/rate-limits.js';
export * from './embedded-app.js';
export type { Upstreams } from './proxy/upstreams.js';
export {
  type ServiceName,
  type ServiceRoute,
  serviceNames,
  serviceRoutes,
} from './routing/service-routes.js';
