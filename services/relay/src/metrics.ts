import { eventLagBuckets } from '@gram/messaging';
import { Gauge, Histogram, type Registry } from 'prom-client';

/**
 * What the relay reports to Prometheus. The lag of an event is the time from its append to the event
 * store to Kafka's acknowledgement of the transaction that carries it (the earliest a consumer can see it).
 */
export class RelayMetrics {
  readonly #lag: Histogram;
  readonly #position: Gauge;
  readonly #active: Gauge;

  constructor(registry: Registry) {
    this.#lag = new Histogram({
      name: 'gram_relay_lag_seconds',
      help: 'time from an event being appended to the event store to its publication on Kafka being committed',
      buckets: [...eventLagBuckets],
      registers: [registry],
    });
    this.#position = new Gauge({
      name: 'gram_relay_position',
      help: 'global position of the event store up to which the relay has published (its checkpoint)',
      registers: [registry],
    });
    this.#active = new Gauge({
      name: 'gram_relay_active',
      help: '1 while this instance holds the lease and publishes, 0 on standby',
      registers: [registry],
    });
  }

  /** A transaction committed: `recordedAt` are the append times (ms) of the events it carried. */
  committed(position: number, recordedAt: readonly number[], now = Date.now()): void {
    for (const at of recordedAt) this.#lag.observe(Math.max(0, now - at) / 1000);
    this.#position.set(position);
  }

  active(isActive: boolean): void {
    this.#active.set(isActive ? 1 : 0);
  }
}
