import type { EventStore, RecordedEvent } from '@gram/event-store';
import { publicMessageOf, type Subscriber } from '@gram/messaging';
import type { DataKeys } from '@gram/personal-data';
import { InProcessNotificationChanges } from './changes.js';
import { notificationsConsumer } from './consumer.js';
import type { NotificationMetrics } from './metrics.js';
import { NotificationProjector } from './read-model/projector.js';
import { moveReadMarker, NotificationQueries } from './read-model/queries.js';
import { memoryNotificationStore } from './store/memory.js';
import type { ReadMarking, ReadMarkings } from './store/read-markings.js';

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
 * Read markers are no events: each move is recorded in `readMarkings` (`notifications.sqlite` under DATA_DIR) with
 * the log's head at that moment, and the rebuild moves the marker again at that place in the log, so follows
 * group as they did (see read-markings.ts). Without `readMarkings` they live in this memory only.
 */
export async function startEmbeddedNotifications(options: {
  events: EventStore;
  bus: Subscriber;
  dataKeys?: DataKeys;
  readMarkings?: ReadMarkings;
  /** told of each event the bus delivers once applied (the rebuild at start is not lag) */
  metrics?: NotificationMetrics;
}): Promise<EmbeddedNotifications> {
  const store = memoryNotificationStore();
  const changes = new InProcessNotificationChanges();
  const projector = new NotificationProjector(store, changes);
  const dataKeys = options.dataKeys ? { dataKeys: options.dataKeys } : {};
  // The bus's events are measured; the log's read at start is a rebuild, not the lag of live events.
  const consumer = notificationsConsumer({ projector, ...dataKeys });
  const live = options.metrics
    ? notificationsConsumer({ projector, ...dataKeys, metrics: options.metrics })
    : consumer;
  const markings = options.readMarkings?.all() ?? [];
  let marked = 0;
  /** the markings made before the event at `position` was appended */
  const markBefore = async (position: number) => {
    for (; marked < markings.length; marked++) {
      const marking = markings[marked] as ReadMarking;
      if (marking.afterPosition >= position) return;
      await moveReadMarker(store, marking.accountId, marking.readUpTo);
    }
  };
  await options.bus.subscribe(live);
  for (let after = 0; ; ) {
    const page = await options.events.readAll({ after, maxCount: 5_000 });
    if (page.length === 0) break;
    for (const event of page) {
      await markBefore(event.position);
      const published = publicMessageOf(event);
      if (published && consumer.topics.includes(published.topic)) await consumer.handler(published.message);
    }
    after = (page[page.length - 1] as RecordedEvent).position;
  }
  await markBefore(Number.POSITIVE_INFINITY);
  const readMarkings = options.readMarkings;
  const log = readMarkings && {
    record: async (accountId: string, readUpTo: string) =>
      readMarkings.record({ accountId, readUpTo, afterPosition: await options.events.headPosition() }),
  };
  return { queries: new NotificationQueries(store, changes, undefined, log), changes };
}
