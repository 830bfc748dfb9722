export * from './asyncapi.js';
export * from './checkpoint.js';
export { joinLease, type Lease, type LeaseOptions } from './lease.js';
export { RelayMetrics } from './metrics.js';
export * from './relay.js';
export * from './topics.js';
