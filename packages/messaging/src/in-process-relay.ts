import type { EventStore } from '@gram/event-store';
import { batches } from './batches.js';
import { publicMessageOf, type TopicMessage } from './event-messages.js';
import { errorFields, type Logger, stderrLogger } from './logger.js';
import type { Publisher } from './messages.js';
import { backoffMs, defaultRetryPolicy, sleep } from './retry.js';

export interface InProcessRelayOptions {
  store: EventStore;
  /** the in-process bus in the embedded mode; any Publisher works */
  publisher: Publisher;
  /** relay events strictly after this global position; from the start of the log when absent */
  after?: number;
  maxBatch?: number;
  logger?: Logger;
  /** told of every batch handed over (the Kafka relay's RelayMetrics fits): lag and position for metrics */
  observer?: RelayObserver;
}

export interface RelayObserver {
  /** a batch up to `position` was published; `recordedAt` are its events' append times (ms since the epoch) */
  committed(position: number, recordedAt: readonly number[]): void;
}

export interface InProcessRelay {
  /** global position of the last event handed to the publisher (public or not); 0 before the first */
  readonly position: number;
  stop(): Promise<void>;
}

/**
 * The embedded mode's relay: the same path from the event store's global log to a Publisher as the Kafka relay
 * (services/relay), without a lease or a stored checkpoint. The embedded mode rebuilds its read models from the
 * log at every start, so it relays from the start (or from `after`) each time.
 *
 * Nothing is skipped: when publishing fails (or an event is newer than this code, see publicMessageOf) the relay
 * logs, waits and resumes from the last position it published, however often that takes.
 */
export function startInProcessRelay(options: InProcessRelayOptions): InProcessRelay {
  const logger = options.logger ?? stderrLogger;
  const maxBatch = options.maxBatch ?? 500;
  let position = options.after ?? 0;
  let stopping = false;
  let subscription: ReturnType<EventStore['subscribeToAll']> | undefined;

  const run = async (): Promise<void> => {
    for (let failures = 0; !stopping; ) {
      try {
        subscription = options.store.subscribeToAll({ after: position });
        for await (const batch of batches(subscription, { maxItems: maxBatch })) {
          const messages = batch.map(publicMessageOf).filter((m): m is TopicMessage => m !== undefined);
          if (messages.length > 0) await options.publisher.publish(messages);
          position = (batch[batch.length - 1] as { position: number }).position;
          options.observer?.committed(
            position,
            batch.map((event) => event.createdAt.getTime()),
          );
          failures = 0;
        }
        // The subscription ends only when it is closed: by stop(), or by the store closing under it.
        return;
      } catch (error) {
        if (stopping) return;
        failures++;
        logger.error(
          { ...errorFields(error), position, failures },
          'in-process relay failed; resuming from its position',
        );
        await sleep(backoffMs(defaultRetryPolicy, Math.min(failures, 10)));
      } finally {
        await subscription?.close();
      }
    }
  };
  const running = run();

  return {
    get position() {
      return position;
    },
    async stop() {
      stopping = true;
      await subscription?.close();
      await running;
    },
  };
}
