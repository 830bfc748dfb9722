import type { EventStore, Subscription } from '@gram/event-store';
import {
  backoffMs,
  defaultRetryPolicy,
  ensureTopics,
  errorFields,
  eventProducerSettings,
  type KafkaRecord,
  type Logger,
  publicMessageOf,
  sleep,
  stderrLogger,
  toKafkaRecord,
} from '@gram/messaging';
import type { Kafka, TopicMessages, Transaction } from 'kafkajs';
import { checkpointMessages, readCheckpoint } from './checkpoint.js';
import { joinLease, type Lease } from './lease.js';
import type { RelayMetrics } from './metrics.js';
import {
  coordinationTopicSpecs,
  defaultTopicPartitions,
  eventTopicSpecs,
  relayCoordinates,
} from './topics.js';

export interface RelayOptions {
  store: EventStore;
  kafka: Kafka;
  /**
   * The relay's name: every instance of one relay shares it (transactional id, lease, checkpoint). Two relays
   * with different names publish the same events twice.
   */
  name?: string;
  /** this instance, for the logs */
  instanceId?: string;
  /** partitions of each event topic the relay creates; existing topics keep theirs */
  partitions?: number;
  /** most events in one transaction */
  maxBatch?: number;
  /** most bytes of messages in one produce request; Kafka refuses a record batch over `message.max.bytes` (1 MiB) */
  maxRequestBytes?: number;
  /** a standby takes over this long after the active instance stopped heartbeating */
  sessionTimeoutMs?: number;
  logger?: Logger;
  /** lag and position for Prometheus */
  metrics?: RelayMetrics;
}

export type RelayStatus = 'standby' | 'active' | 'stopped';

/**
 * The relay: the only path from the event store to Kafka.
 *
 * At least once, in order per stream: an active instance reads the global log from its checkpoint and publishes
 * it batch after batch, each batch's public events in one Kafka transaction together with the checkpoint record
 * that moves to the batch's last position (see checkpoint.ts). The transaction commits only after every broker has
 * acknowledged (acks = all), so the checkpoint never runs ahead of what Kafka holds. A crash anywhere loses at
 * most the transaction in flight, which the next session publishes again: read_committed consumers never see the
 * aborted attempt, read_uncommitted ones see it as duplicates. Each event goes to the topic of its aggregate keyed
 * by its stream id, and batches are sent in log order through one producer with one request in flight, so a
 * stream's events reach their partition in order.
 *
 * Batching without linger: while a transaction is in flight the next events are read and encoded (ReadAhead),
 * and the next transaction takes everything that has accumulated, up to `maxBatch`. Catching up, transactions
 * are full; live, an event waits at most for the transaction before it, never for a timer.
 *
 * One instance publishes at a time: instances compete for a lease (lease.ts); the holder publishes, the others
 * stand by and take over when it dies. Fencing makes that safe when the lease alone is not: becoming active
 * starts with initialising the transactional producer, which fences every earlier producer of the same
 * transactional id and aborts its open transaction, and only then is the checkpoint read. A zombie instance
 * can no longer commit anything, so the new holder resumes exactly where the last committed batch ended.
 *
 * Internal events (who muted whom) go to their `internal.` topic, which only the project's own workers read.
 * Private events (credentials, sessions, contact data) are read but never published; they still advance the
 * checkpoint. Events are published with their payload upcast to the catalogue's current version.
 */
export class Relay {
  private readonly name: string;
  private readonly logger: Logger;
  private lease: Lease | undefined;
  private session: PublishingSession | undefined;
  private sessionRun: Promise<void> | undefined;
  private stopped = false;
  /** lease changes are applied one after the other (see reconcile) */
  private reconciling: Promise<void> = Promise.resolve();
  private positionValue: number | undefined;
  private publishedCount = 0;
  private readonly activeWaiters = new Set<() => void>();

  private constructor(private readonly options: RelayOptions) {
    this.name = options.name ?? 'gram-relay';
    this.logger = options.logger ?? stderrLogger;
  }

  /** Creates the topics when missing, joins the lease and returns; it publishes whenever it holds the lease. */
  static async start(options: RelayOptions): Promise<Relay> {
    const relay = new Relay(options);
    await relay.init();
    return relay;
  }

  get status(): RelayStatus {
    if (this.stopped) return 'stopped';
    return this.session ? 'active' : 'standby';
  }

  /** the global position up to which this instance has published (its last committed checkpoint) */
  get position(): number | undefined {
    return this.positionValue;
  }

  /** public events this instance has published, duplicates of replays included */
  get published(): number {
    return this.publishedCount;
  }

  /** Resolves once this instance is active. */
  whenActive(): Promise<void> {
    if (this.session) return Promise.resolve();
    return new Promise((resolve) => this.activeWaiters.add(resolve));
  }

  /**
   * Graceful stop: the transaction in progress commits, no new one starts, the lease is released so a standby
   * takes over at once.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.reconcile();
    await this.lease?.release();
  }

  private async init(): Promise<void> {
    const { leaseTopic, leaseGroup } = relayCoordinates(this.name);
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, [
        ...eventTopicSpecs(this.options.partitions ?? defaultTopicPartitions),
        ...coordinationTopicSpecs(this.name),
      ]);
    } finally {
      await admin.disconnect();
    }
    this.lease = await joinLease({
      kafka: this.options.kafka,
      group: leaseGroup,
      topic: leaseTopic,
      sessionTimeoutMs: this.options.sessionTimeoutMs ?? 10_000,
      logger: this.logger,
      onChange: () => void this.reconcile(),
    });
    // The first assignment may have arrived before `this.lease` was set.
    void this.reconcile();
  }

  /**
   * Brings the publishing session in line with the lease. Changes are chained: losing and regaining the lease
   * while the old session is still finishing its transaction must end with exactly one session, started after
   * the old one is gone.
   */
  private reconcile(): Promise<void> {
    this.reconciling = this.reconciling.then(async () => {
      const shouldPublish = !this.stopped && (this.lease?.holding ?? false);
      if (shouldPublish && !this.session) this.activate();
      else if (!shouldPublish && this.session) await this.deactivate();
    });
    return this.reconciling;
  }

  private activate(): void {
    this.logger.info(
      { relay: this.name, instance: this.options.instanceId },
      'relay holds the lease: active',
    );
    const session = new PublishingSession(this.options, this.name, this.logger, (position, published) => {
      this.positionValue = position;
      this.publishedCount += published;
    });
    this.session = session;
    this.options.metrics?.active(true);
    for (const wake of this.activeWaiters) wake();
    this.activeWaiters.clear();
    this.sessionRun = this.runSession(session);
  }

  /** Runs publishing sessions while this instance holds the lease; a failed one is retried with backoff. */
  private async runSession(session: PublishingSession): Promise<void> {
    for (let failures = 0; ; ) {
      try {
        await session.run();
        return;
      } catch (error) {
        if (session.stopping) return;
        failures++;
        this.logger.error(
          { relay: this.name, position: this.positionValue, failures, ...errorFields(error) },
          'relay publishing failed; resuming from the checkpoint',
        );
        await sleep(backoffMs(defaultRetryPolicy, Math.min(failures, 10)));
        if (session.stopping) return;
      }
    }
  }

  private async deactivate(): Promise<void> {
    const session = this.session;
    if (!session) return;
    session.stop();
    await this.sessionRun;
    this.session = undefined;
    this.sessionRun = undefined;
    this.options.metrics?.active(false);
    this.logger.info(
      { relay: this.name, instance: this.options.instanceId },
      'relay stopped publishing: standby',
    );
  }
}

/**
 * One stretch of publishing while the lease is held: a fresh transactional producer (which fences earlier
 * ones), the checkpoint read after fencing, then batch after batch until stopped or failed.
 */
class PublishingSession {
  stopping = false;
  private subscription: Subscription | undefined;

  constructor(
    private readonly options: RelayOptions,
    private readonly name: string,
    private readonly logger: Logger,
    private readonly onCommitted: (position: number, published: number) => void,
  ) {}

  stop(): void {
    this.stopping = true;
    // Ends the wait for new events; a batch in flight still commits (see run).
    void this.subscription?.close();
  }

  async run(): Promise<void> {
    const { kafka, store } = this.options;
    const producer = kafka.producer({
      ...eventProducerSettings,
      transactionalId: relayCoordinates(this.name).transactionalId,
      transactionTimeout: 30_000,
      // A transaction that begins while the previous one's commit markers are still being written is refused with
      // CONCURRENT_TRANSACTIONS for a millisecond or two. kafkajs retries it with this backoff; its default first
      // wait (300 ms) would cap the relay at a few transactions per second and add that much latency to each.
      retry: { initialRetryTime: 1, multiplier: 1.5, maxRetryTime: 1_000, retries: 30 },
    });
    await producer.connect();
    const maxBatch = this.options.maxBatch ?? 2_000;
    let transaction: Transaction | undefined;
    let readAhead: ReadAhead | undefined;
    try {
      // Fencing first (see Relay): after this no earlier instance can commit, so the checkpoint read next is final.
      transaction = await producer.transaction();
      const checkpoint = await readCheckpoint(kafka, this.name);
      this.logger.info(
        { relay: this.name, checkpoint: checkpoint ?? null },
        'relay resumes after its checkpoint',
      );
      if (checkpoint !== undefined) this.onCommitted(checkpoint, 0);
      if (this.stopping) return;
      this.subscription = store.subscribeToAll(checkpoint === undefined ? {} : { after: checkpoint });
      readAhead = new ReadAhead(this.subscription, 2 * maxBatch);
      while (true) {
        const batch = await readAhead.take(maxBatch);
        if (batch === undefined) return;
        const position = (batch[batch.length - 1] as ReadEvent).position;
        const messages = batch.flatMap((event) => (event.message ? [event.message] : []));
        const topicMessages = [...groupByTopic(messages), checkpointMessages(this.name, position)];
        for (const request of this.requests(topicMessages)) {
          await transaction.sendBatch({ topicMessages: request, acks: -1 });
        }
        await transaction.commit();
        this.onCommitted(position, messages.length);
        this.options.metrics?.committed(
          position,
          batch.map((event) => event.recordedAt),
        );
        if (this.stopping) return;
        transaction = await producer.transaction();
      }
    } finally {
      await this.subscription?.close();
      // Events read ahead are dropped, uncommitted: the next session reads them again after the checkpoint.
      await readAhead?.stop();
      if (transaction?.isActive()) await transaction.abort().catch(() => {});
      await producer.disconnect().catch(() => {});
    }
  }

  /** Splits the batch into produce requests under the size limit, keeping each topic's messages in order. */
  private *requests(topicMessages: TopicMessages[]): Generator<TopicMessages[]> {
    const limit = this.options.maxRequestBytes ?? 512 * 1024;
    let request: TopicMessages[] = [];
    let bytes = 0;
    for (const { topic, messages } of topicMessages) {
      let current: TopicMessages = { topic, messages: [] };
      request.push(current);
      for (const message of messages) {
        const size = recordSize(message);
        if (bytes + size > limit && bytes > 0) {
          yield request;
          current = { topic, messages: [] };
          request = [current];
          bytes = 0;
        }
        current.messages.push(message);
        bytes += size;
      }
    }
    if (bytes > 0) yield request.filter((entry) => entry.messages.length > 0);
  }
}

/** An event read from the store: its message when it is public, and its position for the checkpoint. */
interface ReadEvent {
  message: { topic: string; record: KafkaRecord } | undefined;
  position: number;
  /** when it was appended, ms since the epoch */
  recordedAt: number;
}

/**
 * Reads the subscription ahead of the publisher, up to `capacity` events, turning each into its Kafka message as
 * it arrives: while a transaction is in flight the next events are already read and encoded. The publisher takes
 * whatever has accumulated when it is ready for the next transaction, so a batch is formed at the last moment
 * (live, it holds every event that arrived meanwhile; catching up, it is full) and never waits for a timer.
 */
class ReadAhead {
  readonly ended: Promise<void>;
  private items: ReadEvent[] = [];
  private done = false;
  private stopped = false;
  private failure: { error: unknown } | undefined;
  private wakeTaker: (() => void) | undefined;
  private wakeReader: (() => void) | undefined;

  constructor(
    subscription: Subscription,
    private readonly capacity: number,
  ) {
    this.ended = this.read(subscription);
  }

  /** Waits for at least one event, then takes up to `max`; undefined once the subscription has ended. */
  async take(max: number): Promise<ReadEvent[] | undefined> {
    while (this.items.length === 0) {
      if (this.failure) throw this.failure.error;
      if (this.done) return undefined;
      await new Promise<void>((resolve) => {
        this.wakeTaker = resolve;
      });
    }
    const taken = this.items.splice(0, max);
    this.wakeReader?.();
    return taken;
  }

  /** For after the subscription was closed: stops waiting for room and resolves once reading has ended. */
  stop(): Promise<void> {
    this.stopped = true;
    this.wakeReader?.();
    return this.ended;
  }

  private async read(subscription: Subscription): Promise<void> {
    try {
      for await (const event of subscription) {
        const published = publicMessageOf(event);
        this.items.push({
          message: published && { topic: published.topic, record: toKafkaRecord(published.message) },
          position: event.position,
          recordedAt: event.createdAt.getTime(),
        });
        this.wakeTaker?.();
        while (this.items.length >= this.capacity && !this.stopped) {
          await new Promise<void>((resolve) => {
            this.wakeReader = resolve;
          });
        }
      }
    } catch (error) {
      // An event newer than this code, a store failure: the publisher sees it at its next take.
      this.failure = { error };
    } finally {
      this.done = true;
      this.wakeTaker?.();
    }
  }
}

function groupByTopic(messages: readonly { topic: string; record: KafkaRecord }[]): TopicMessages[] {
  const byTopic = new Map<string, TopicMessages>();
  for (const { topic, record } of messages) {
    let entry = byTopic.get(topic);
    if (!entry) {
      entry = { topic, messages: [] };
      byTopic.set(topic, entry);
    }
    entry.messages.push(record);
  }
  return [...byTopic.values()];
}

function recordSize(message: TopicMessages['messages'][number]): number {
  let size = 64 + String(message.key ?? '').length + String(message.value ?? '').length;
  for (const [name, value] of Object.entries(message.headers ?? {}))
    size += name.length + String(value).length + 2;
  return size;
}
