import { personalFields, topicOf } from '@gram/events';
import type { EventMessage, SubscribeOptions } from '@gram/messaging';
import { type DataKeys, decryptPersonalFields, isKeyOutage } from '@gram/personal-data';
import { MongoNetworkError, MongoServerSelectionError } from 'mongodb';
import pLimit from 'p-limit';
import type { NotificationMetrics } from './metrics.js';
import { handledTypes, type NotificationEvent, type NotificationProjector } from './read-model/projector.js';

export const notificationsGroupId = 'notifications';

/** The topics whose events notify or decide who is notified: public ones and who muted or blocked whom. */
export const notificationTopics: readonly string[] = [
  ...new Set(handledTypes.map((type) => topicOf(type) as string)),
];

const handled = new Set<string>(handledTypes);

/**
 * Reads an event's personal fields (names, texts) with the accounts' data keys, as the read models do: identity's
 * key store in the embedded mode, identity over HTTP in the distributed one. A key that cannot be fetched fails
 * the event, to be retried, never applied unread.
 */
export function decryptingWith(dataKeys: DataKeys | undefined) {
  return async (message: Pick<EventMessage, 'type' | 'data'>): Promise<unknown> => {
    if (!(message.type in personalFields)) return message.data;
    return decryptPersonalFields(message.type, message.data, personalFields, (accountId) => {
      if (!dataKeys)
        throw new Error(`an encrypted field of account ${accountId} arrived, and no data keys were given`);
      return dataKeys.get(accountId);
    });
  };
}

/**
 * The failures a partition waits out rather than dead-letter (the distributed consumer's `isTransient`): MongoDB
 * or Redis unreachable (ioredis: a command that waited through its reconnection attempts, or one sent on a
 * closed connection), or a data key that cannot be had now (identity or its key store down or slow, a key not
 * known yet): an outage, never a reason to drop the notification.
 */
export function isTransientConsumerError(error: unknown): boolean {
  return (
    isKeyOutage(error) ||
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    (error instanceof Error &&
      (error.name === 'MaxRetriesPerRequestError' || error.message === 'Connection is closed.'))
  );
}

export interface NotificationsConsumerOptions {
  projector: NotificationProjector;
  dataKeys?: DataKeys;
  /** the consumer group (distributed mode: NOTIFICATIONS_GROUP_ID), default `notifications` */
  groupId?: string;
  isTransient?: (error: unknown) => boolean;
  /**
   * How many streams of a run (one partition's messages) are applied side by side, default 256. Each stream's
   * events wait on round trips to the store (five or so for a like), which a loaded machine stretches to tens of
   * milliseconds each, while their CPU is small: the more side by side, the more a run's round trips share one
   * socket write (the store's connection auto-pipelines) and the fewer runs it takes. At 500 likes/s through the
   * distributed system (`pnpm bench notifications --mode distributed`), 32 kept the consumer 4-5 s behind the
   * log; 256 keeps it within about a second.
   */
  concurrency?: number;
  /** told of each event applied, once its notifications are written and their changes published */
  metrics?: Pick<NotificationMetrics, 'applied'>;
}

/**
 * The notifications read model as a consumer group of its own, on Kafka or the in-process bus.
 *
 * A run of messages (Kafka's batch handler) is applied with its streams side by side, `concurrency` at a time,
 * each stream's events one after the other in offset order; the run's round trips to the store overlap instead of
 * queueing. This gives the same notifications as one message at a time:
 * - Within a stream, order is kept: the projector reconciles from what its own write returned, so two events of
 *   one stream must not overlap (a like and its unlike would race to add and remove one actor).
 * - Across streams, any interleaving is one the projector already meets from two partitions or two instances of
 *   the group: every rule is order-tolerant (the document of another stream is read as stored, and that stream's
 *   own event reconciles again), and every document write is a compare-and-set retried on conflict, so two
 *   streams changing one notification (two likes of a post) both land.
 * - Redelivery: the offsets are committed after the whole run. A crash mid-run, or a run that fails and is handed
 *   to `handler` one message at a time, applies some events again; each is guarded by its stream's revision and
 *   the notifications are reconciled from the stored documents, so a second application changes nothing. A
 *   failing run waits for every stream in flight before it fails, so a retry never overlaps a stream's own events.
 */
export function notificationsConsumer(options: NotificationsConsumerOptions): SubscribeOptions {
  const decrypt = decryptingWith(options.dataKeys);
  const concurrency = options.concurrency ?? 256;
  const handler = async (message: EventMessage): Promise<void> => {
    if (!handled.has(message.type)) return;
    const event: NotificationEvent = {
      type: message.type,
      data: await decrypt(message),
      streamId: message.streamId,
      streamRevision: message.streamRevision,
    };
    await options.projector.apply(event);
    if (message.type === 'UserDeleted') options.dataKeys?.forget((message.data as { userId: string }).userId);
    options.metrics?.applied(message);
  };
  return {
    groupId: options.groupId ?? notificationsGroupId,
    topics: notificationTopics,
    ...(options.isTransient ? { isTransient: options.isTransient } : {}),
    handler,
    batchHandler: async (messages) => {
      const streams = new Map<string, EventMessage[]>();
      for (const message of messages) {
        const stream = streams.get(message.streamId);
        if (stream) stream.push(message);
        else streams.set(message.streamId, [message]);
      }
      const limit = pLimit(concurrency);
      const applied = await Promise.allSettled(
        [...streams.values()].map((stream) =>
          limit(async () => {
            for (const message of stream) await handler(message);
          }),
        ),
      );
      const failed = applied.find((result) => result.status === 'rejected');
      // The first failure as it is, so that `isTransient` recognises an unreachable store.
      if (failed) throw failed.reason;
    },
  };
}
