import { type EventMessage, eventLagBuckets } from '@gram/messaging';
import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * What the notifications consumer reports to Prometheus, beside the projections' and the relay's histograms of the
 * same kind and buckets: the lag of an event is the time from its append (its recorded time) to the moment its
 * notifications are written and their changes published to the live streams. Read beside the relay's (append to
 * Kafka), it tells whether a late notification waited in the relay, or in this consumer's queue and work.
 */
export class NotificationMetrics {
  readonly #lag: Histogram;
  readonly #applied: Counter;

  constructor(registry: Registry) {
    this.#lag = new Histogram({
      name: 'gram_notifications_lag_seconds',
      help: 'time from an event being appended to the event store to the notifications having applied it',
      buckets: [...eventLagBuckets],
      registers: [registry],
    });
    this.#applied = new Counter({
      name: 'gram_notifications_events_applied_total',
      help: 'events applied to the notifications (redeliveries included)',
      registers: [registry],
    });
  }

  applied(message: Pick<EventMessage, 'time'>, now = Date.now()): void {
    const recorded = Date.parse(message.time);
    if (Number.isFinite(recorded)) this.#lag.observe(Math.max(0, now - recorded) / 1000);
    this.#applied.inc();
  }
}
