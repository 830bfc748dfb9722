export * from './app.js';
export { ReadModelQueries } from './queries/read-model-queries.js';
export { eraseAccountFromSearch } from './read-models/search/erasure.js';
export { consistencyTokenHeader, type ProjectionsRoutesOptions, projectionsRoutes } from './routes.js';
export { AppliedPositions } from './runtime/applied-positions.js';
export { ProjectionMetrics } from './runtime/metrics.js';
export {
  type EmbeddedProjections,
  startEmbeddedProjections,
  subscribeProjections,
} from './runtime/workers.js';
