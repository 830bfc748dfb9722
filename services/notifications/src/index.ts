export { buildNotificationsApp } from './app.js';
export {
  InProcessNotificationChanges,
  type NotificationChange,
  type NotificationChanges,
} from './changes.js';
export { notificationsConsumer, notificationTopics } from './consumer.js';
export { type EmbeddedNotifications, startEmbeddedNotifications } from './embedded.js';
export { NotificationMetrics } from './metrics.js';
export { NotificationProjector } from './read-model/projector.js';
export { NotificationQueries } from './read-model/queries.js';
export { type NotificationsRoutesOptions, notificationsRoutes } from './routes.js';
export { distributedNotificationStore } from './store/distributed.js';
export { memoryNotificationStore } from './store/memory.js';
export type { NotificationStore } from './store/port.js';
export { openSqliteReadMarkings, type ReadMarking, type ReadMarkings } from './store/read-markings.js';
export type { ChangeFeed } from './stream/feed.js';
export { RedisNotificationChanges } from './stream/redis-changes.js';
export { type NotificationStreamOptions, notificationStreamRoutes } from './stream/routes.js';
export { memoryStreamTickets, redisStreamTickets, type StreamTickets } from './stream/tickets.js';
