import { personalFields, topicOf } from '@gram/events';
import type { EventMessage, SubscribeOptions } from '@gram/messaging';
import { type DataKeys, decryptPersonalFields } from '@gram/personal-data';
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

export interface NotificationsConsumerOptions {
  projector: NotificationProjector;
  dataKeys?: DataKeys;
  /** the consumer group (distributed mode: NOTIFICATIONS_GROUP_ID), default `notifications` */
  groupId?: string;
  isTransient?: (error: unknown) => boolean;
}

/** The notifications read model as a consumer group of its own, on Kafka or the in-process bus. */
export function notificationsConsumer(options: NotificationsConsumerOptions): SubscribeOptions {
  const decrypt = decryptingWith(options.dataKeys);
  return {
    groupId: options.groupId ?? notificationsGroupId,
    topics: notificationTopics,
    ...(options.isTransient ? { isTransient: options.isTransient } : {}),
    handler: async (message) => {
      if (!handled.has(message.type)) return;
      const event: NotificationEvent = {
        type: message.type,
        data: await decrypt(message),
        streamId: message.streamId,
        streamRevision: message.streamRevision,
      };
      await options.projector.apply(event);
      if (message.type === 'UserDeleted')
        options.dataKeys?.forget((message.data as { userId: string }).userId);
    },
  };
}
