import type { EventStore, RecordedEvent } from '@gram/event-store';
import { publicMessageOf, type Subscriber } from '@gram/messaging';
import type { DataKeys } from '@gram/personal-data';
import { InProcessNotificationChanges } from './changes.js';
import { notificationsConsumer } from './consumer.js';
import { NotificationProjector } from './read-model/projector.js';
import { NotificationQueries } from './read-model/queries.js';
import { memoryNotificationStore } from './store/memory.js';

export interface EmbeddedNotifications {
  queries: NotificationQueries;
  /** every change to an account's notifications, for the live stream */
  changes: InProcessNotificationChanges;
}

/**
 * The embedded mode: notifications in memory, fed by the in-process bus and rebuilt from the whole log at start.
 * The bus keeps no history, so the group subscribes first and the log is read after: whatever the bus delivers
 * meanwhile is also in the log or after it, and the projector, order-tolerant and idempotent, takes both.
 *
 * Read markers are no events: they live in this memory and are lost on restart (every notification reads as
 * unread again) until they are recorded somewhere that lasts.
 */
export async function startEmbeddedNotifications(options: {
  events: EventStore;
  bus: Subscriber;
  dataKeys?: DataKeys;
}): Promise<EmbeddedNotifications> {
  const store = memoryNotificationStore();
  const changes = new InProcessNotificationChanges();
  const projector = new NotificationProjector(store, changes);
  const consumer = notificationsConsumer({
    projector,
    ...(options.dataKeys ? { dataKeys: options.dataKeys } : {}),
  });
  await options.bus.subscribe(consumer);
  for (let after = 0; ; ) {
    const page = await options.events.readAll({ after, maxCount: 5_000 });
    if (page.length === 0) break;
    for (const event of page) {
      const published = publicMessageOf(event);
      if (published && consumer.topics.includes(published.topic)) await consumer.handler(published.message);
    }
    after = (page[page.length - 1] as RecordedEvent).position;
  }
  return { queries: new NotificationQueries(store, changes), changes };
}
