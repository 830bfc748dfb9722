import type { EventMessage } from '@gram/messaging';
import { KeyStoreUnavailable, KeyUnknown } from '@gram/personal-data';
import { MongoNetworkError } from 'mongodb';
import { type MetricValueWithName, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { History } from '../test/history.js';
import { isTransientConsumerError, notificationsConsumer } from './consumer.js';
import { NotificationMetrics } from './metrics.js';
import { NotificationProjector } from './read-model/projector.js';
import { memoryNotificationStore } from './store/memory.js';

describe('the failures the notifications consumer waits out', () => {
  it('waits for a data key that cannot be had now, however deep in the failure, as for an unreachable MongoDB', () => {
    const down = new KeyStoreUnavailable('identity answered 503 for the data key of a');
    expect(isTransientConsumerError(down)).toBe(true);
    expect(isTransientConsumerError(new KeyUnknown('a'))).toBe(true);
    expect(isTransientConsumerError(new Error('decryption failed', { cause: down }))).toBe(true);
    expect(isTransientConsumerError(new MongoNetworkError('connection refused'))).toBe(true);
  });

  it('lets any other failure count towards the dead-letter topic', () => {
    expect(
      isTransientConsumerError(new TypeError("Cannot read properties of undefined (reading 'at')")),
    ).toBe(false);
    expect(
      isTransientConsumerError(new Error('an encrypted field arrived, and no data keys were given')),
    ).toBe(false);
  });
});

describe('the notifications consumer’s metrics', () => {
  it('observes each applied event’s lag from its append time, and not the events of its topics it skips', async () => {
    const h = new History();
    const ann = h.register('ann');
    h.post(ann);
    const registry = new Registry();
    const consumer = notificationsConsumer({
      projector: new NotificationProjector(memoryNotificationStore()),
      metrics: new NotificationMetrics(registry),
    });
    const appended = new Date(Date.now() - 3_000).toISOString();
    const messages = [...h.events, { type: 'PostViewed', data: {}, streamId: 'x', streamRevision: 0 }].map(
      (event, i) => ({ ...event, id: `m${i}`, version: 1, position: i + 1, time: appended }),
    );
    for (const message of messages) await consumer.handler(message as EventMessage);

    const lag = ((await registry.getSingleMetric('gram_notifications_lag_seconds')?.get())?.values ??
      []) as MetricValueWithName<string>[];
    const bucket = (le: number) =>
      lag.find((v) => v.metricName?.endsWith('_bucket') && v.labels.le === le)?.value;
    expect(lag.find((v) => v.metricName === 'gram_notifications_lag_seconds_count')?.value).toBe(
      h.events.length,
    );
    expect(bucket(2.5)).toBe(0);
    expect(bucket(5)).toBe(h.events.length);
    const applied = await registry.getSingleMetric('gram_notifications_events_applied_total')?.get();
    expect(applied?.values[0]?.value).toBe(h.events.length);
  });
});
