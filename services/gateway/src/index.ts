export * from './app.js';
// The edge stands in front of the API in both modes: apps/embedded mounts it before the services' routes.
export { type GatewayEdgeOptions, gatewayEdge } from './edge/edge.js';
export * from './edge/rate-limits.js';
export type { ReadSide, ReadSideAnswer } from './edge/read-after-write.js';
export type { DependencyChecks } from './edge/readiness.js';
export { trustProxyFromEnv } from './edge/trust-proxy.js';
export type { Upstreams } from './proxy/upstreams.js';
export {
  type ServiceName,
  type ServiceRoute,
  serviceNames,
  serviceRoutes,
  serviceRoutesFile,
} from './routing/service-routes.js';
