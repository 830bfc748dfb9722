import { type EventMessage, eventLagBuckets } from '@gram/messaging';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * What the projection workers report to Prometheus. The lag of an event is the time from its
 * append (its recorded time) to the moment its read-model writes are done: the delay a reader sees.
 */
export class ProjectionMetrics {
  readonly #lag: Histogram;
  readonly #applied: Counter;
  readonly #position: Gauge;
  #highest = -1;

  constructor(registry: Registry) {
    this.#lag = new Histogram({
      name: 'gram_projection_lag_seconds',
      help: 'time from an event being appended to the event store to the read models having applied it',
      buckets: [...eventLagBuckets],
      registers: [registry],
    });
    this.#applied = new Counter({
      name: 'gram_projection_events_applied_total',
      help: 'events applied to the read models (redeliveries included)',
      registers: [registry],
    });
    this.#position = new Gauge({
      name: 'gram_projection_applied_position',
      help: 'highest global position of the event store applied to the read models',
      registers: [registry],
    });
  }

  applied(message: EventMessage, now = Date.now()): void {
    const recorded = Date.parse(message.time);
    if (Number.isFinite(recorded)) this.#lag.observe(Math.max(0, now - recorded) / 1000);
    this.#applied.inc();
    if (message.position > this.#highest) {
      this.#highest = message.position;
      this.#position.set(message.position);
    }
  }
}
