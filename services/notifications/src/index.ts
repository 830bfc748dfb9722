export { buildNotificationsApp } from './app.js';
export {
  InProcessNotificationChanges,
  type NotificationChange,
  type NotificationChanges,
} from './changes.js';
export { notificationsConsumer, notificationTopics } from './consumer.js';
export { type EmbeddedNotifications, startEmbeddedNotifications } from './embedded.js';
export { NotificationProjector } from './read-model/projector.js';
export { NotificationQueries } from './read-model/queries.js';
export { type NotificationsRoutesOptions, notificationsRoutes } from './routes.js';
export { memoryNotificationStore } from './store/memory.js';
export { mongoNotificationStore } from './store/mongo.js';
export type { NotificationStore } from './store/port.js';
