import type { EventStore } from '@gram/event-store';
import { workerTopics } from '@gram/events';
import {
  InProcessBus,
  type InProcessRelay,
  type RelayObserver,
  type Subscriber,
  startInProcessRelay,
} from '@gram/messaging';
import type { ReadModels } from '../app.js';
import { Projector, type ProjectorOptions } from '../projection/projector.js';
import { rebuildInMemory } from '../rebuild/rebuild.js';
import type { ReadModelStore } from '../store/document-store.js';
import { isTransientStoreError } from '../store/transient-errors.js';
import { AppliedPositions } from './applied-positions.js';
import type { ProjectionMetrics } from './metrics.js';

export const projectionsGroupId = 'projections';

export interface WorkerOptions extends ProjectorOptions {
  /** told of every applied message, for read-your-writes */
  applied?: AppliedPositions;
  metrics?: ProjectionMetrics;
  /** the consumer group (default `projections`): one per independent set of read models */
  groupId?: string;
}

/**
 * Subscribes the projection handlers to every public topic and every internal one (who muted whom, which feeds
 * need and analytics must never read) as one consumer group. The handler writes into
 * the generation `readModels` hands to writers (`forWrite`, else `current`), so after a rebuild switched it the
 * worker continues on the new one (one Projector per generation: its queue keeps messages one at a time). When
 * `forWrite` cannot tell which generation is live, the message waits like any other transient store failure.
 */
export async function subscribeProjections(
  subscriber: Subscriber,
  readModels: ReadModels,
  options: WorkerOptions = {},
): Promise<void> {
  const { applied, metrics } = options;
  const projectors = new WeakMap<ReadModelStore, Projector>();
  const projectorOf = (store: ReadModelStore) => {
    let projector = projectors.get(store);
    if (!projector) {
      projector = new Projector(store, options);
      projectors.set(store, projector);
    }
    return projector;
  };
  await subscriber.subscribe({
    groupId: options.groupId ?? projectionsGroupId,
    topics: workerTopics,
    // MongoDB or Redis unreachable: the partition waits for them, however long, rather than dead-lettering.
    isTransient: isTransientStoreError,
    handler: async (message) => {
      const store = readModels.forWrite ? await readModels.forWrite() : readModels.current();
      await projectorOf(store).handle(message);
      applied?.applied(message.position);
      metrics?.applied(message);
    },
    // A Kafka batch at once: its streams side by side, one checkpoint write (Projector.applyBatch).
    batchHandler: async (messages) => {
      const store = readModels.forWrite ? await readModels.forWrite() : readModels.current();
      await projectorOf(store).applyBatch(messages, (message) => {
        applied?.applied(message.position);
        metrics?.applied(message);
      });
    },
  });
}

export interface EmbeddedProjections {
  readonly store: ReadModelStore;
  readonly relay: InProcessRelay;
  readonly bus: InProcessBus;
  /** the positions the read models have applied (everything up to the rebuild, then each message) */
  readonly applied: AppliedPositions;
  stop(): Promise<void>;
}

/**
 * The embedded mode: read models in memory, rebuilt from the whole log at start, then kept current by the
 * in-process bus fed by the in-process relay from where the rebuild stopped.
 */
export async function startEmbeddedProjections(
  events: EventStore,
  options: ProjectorOptions & {
    bus?: InProcessBus;
    metrics?: ProjectionMetrics;
    /** the in-process relay's lag and position (RelayMetrics of @gram/relay) */
    relayObserver?: RelayObserver;
  } = {},
): Promise<EmbeddedProjections> {
  const { store, position } = await rebuildInMemory(events, options);
  const bus = options.bus ?? new InProcessBus();
  const applied = new AppliedPositions({ floor: position });
  await subscribeProjections(bus, { current: () => store }, { ...options, applied });
  const relay = startInProcessRelay({
    store: events,
    publisher: bus,
    after: position,
    ...(options.relayObserver ? { observer: options.relayObserver } : {}),
  });
  return {
    store,
    relay,
    bus,
    applied,
    async stop() {
      await relay.stop();
      await bus.stop();
    },
  };
}
