export * from './app.js';
export { ReadModelQueries } from './queries/read-model-queries.js';
export { projectionsRoutes } from './routes.js';
export {
  type EmbeddedProjections,
  startEmbeddedProjections,
  subscribeProjections,
} from './runtime/workers.js';
