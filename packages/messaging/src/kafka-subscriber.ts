import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { fromKafkaRecord, MalformedMessageError } from './cloudevents.js';
import { deadLetterHeaders, deadLetterTopicOf } from './dead-letters.js';
import { type CommitOffsets, HandledOffsets } from './handled-offsets.js';
import { eventProducerSettings } from './kafka-publisher.js';
import { errorFields, type Logger, stderrLogger } from './logger.js';
import type { EventMessage, SubscribeOptions, Subscriber } from './messages.js';
import { backoffMs, defaultRetryPolicy, errorMessage, type RetryPolicy, sleep } from './retry.js';
import { ensureTopics } from './topics.js';

export interface KafkaSubscriberOptions {
  kafka: Kafka;
  logger?: Logger;
  retry?: Partial<RetryPolicy>;
  /** where a group without committed offsets starts: the oldest retained message (default) or new ones only */
  fromBeginning?: boolean;
  /** the group coordinator declares a silent member dead after this long and hands its partitions to others */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /**
   * How many partitions are handled side by side. Within a partition handlers always run one at a time, in
   * offset order; across partitions (different streams) they may overlap when this is above 1.
   */
  partitionsConsumedConcurrently?: number;
  /** the longest a handled message waits for its offset to be committed (see HandledOffsets) */
  commitIntervalMs?: number;
  /** the most messages one `batchHandler` call gets (default 1,000) */
  maxBatchSize?: number;
  /**
   * The longest a fetch waits on an idle partition. A fetch returns as soon as a message arrives, so this does not
   * delay delivery; it bounds how long a graceful stop waits for the fetch in flight.
   */
  maxWaitTimeMs?: number;
  /** signals that stop the subscriber gracefully; [] to leave signals to the caller */
  shutdownSignals?: readonly NodeJS.Signals[];
  /** retention of the dead-letter topics this subscriber creates */
  deadLetterRetentionMs?: number;
}

/** `consumer.commitOffsets` in the shape HandledOffsets commits with. */
function asCommitOffsets(consumer: Consumer): CommitOffsets {
  return ({ topics }) =>
    consumer.commitOffsets(
      topics.flatMap(({ topic, partitions }) =>
        partitions.map(({ partition, offset }) => ({ topic, partition, offset })),
      ),
    );
}

const outcome = { handled: 'handled', interrupted: 'interrupted' } as const;
type Outcome = (typeof outcome)[keyof typeof outcome];

/**
 * Kafka consumer groups for the project's own workers, at least once:
 * - Per partition, messages are handled one at a time in offset order (kafkajs hands a partition's batch to one
 *   `eachBatch` call at a time, and this loop awaits each handler): a stream's events arrive in order.
 * - An offset is committed only after the handler of its message resolved (auto-commit is off), in the background
 *   at most `commitIntervalMs` apart (see HandledOffsets) and at once on a graceful stop. A crash or a rebalance
 *   redelivers the messages handled since the last commit, so a handler must be idempotent; it may use `id` or
 *   (streamId, streamRevision) to recognise a redelivery.
 * - A failing handler is retried with exponential backoff, heartbeating meanwhile so the group keeps the
 *   partition. After `maxAttempts` the message goes to `<topic>.dlq` with its original key, value and headers
 *   plus `dlq_*` headers saying why, one clear error log line is written, and the partition moves on. A message
 *   that is not a CloudEvent of ours cannot succeed on retry and is dead-lettered at once. Failures the
 *   subscription's `isTransient` recognises (an unreachable database) never count: the partition retries them
 *   until the handler succeeds, however long the outage.
 * - SIGTERM (and SIGINT) stop it gracefully: the handler in progress finishes, its offset is committed, the
 *   consumer leaves its group (its partitions move to the other members at once) and disconnects.
 */
export class KafkaSubscriber implements Subscriber {
  private readonly kafka: Kafka;
  private readonly logger: Logger;
  private readonly retry: RetryPolicy;
  private readonly consumers: { consumer: Consumer; offsets: HandledOffsets; groupId: string }[] = [];
  private commitTimer: NodeJS.Timeout | undefined;
  private deadLetterProducer: Promise<Producer> | undefined;
  private readonly signals: readonly NodeJS.Signals[];
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.logger.info({ signal }, `${signal}: stopping consumers after the messages in progress`);
    void this.stop();
  };
  private stopping: Promise<void> | undefined;

  private get heartbeatIntervalMs(): number {
    return this.options.heartbeatIntervalMs ?? 3_000;
  }

  constructor(private readonly options: KafkaSubscriberOptions) {
    this.kafka = options.kafka;
    this.logger = options.logger ?? stderrLogger;
    this.retry = { ...defaultRetryPolicy, ...options.retry };
    this.signals = options.shutdownSignals ?? ['SIGTERM', 'SIGINT'];
  }

  async subscribe(options: SubscribeOptions): Promise<void> {
    if (this.stopping) throw new Error('subscriber is stopped');
    const { groupId, topics } = options;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(
        admin,
        topics.map((topic) => ({
          topic: deadLetterTopicOf(topic),
          numPartitions: 1,
          config: { 'retention.ms': String(this.options.deadLetterRetentionMs ?? 30 * 24 * 3_600_000) },
        })),
      );
    } finally {
      await admin.disconnect();
    }

    const consumer = this.kafka.consumer({
      groupId,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: this.heartbeatIntervalMs,
      // The relay writes in transactions: read only what it committed.
      readUncommitted: false,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: this.options.maxWaitTimeMs ?? 1_000,
    });
    const offsets = new HandledOffsets(this.options.commitIntervalMs ?? 1_000);
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => offsets.retain(payload.memberAssignment));
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.logger.error(
        { groupId, restart: payload.restart, ...errorFields(payload.error) },
        `consumer of group ${groupId} crashed${payload.restart ? '; restarting from the committed offsets' : ''}`,
      );
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: this.options.fromBeginning ?? true });
    this.consumers.push({ consumer, offsets, groupId });
    if (this.consumers.length === 1) {
      for (const signal of this.signals) process.once(signal, this.onSignal);
      // Offsets of partitions that went quiet are committed by this timer; busy ones from within their batch.
      this.commitTimer = setInterval(() => void this.commitDue(), this.options.commitIntervalMs ?? 1_000);
      this.commitTimer.unref();
    }
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.handleBatch(groupId, offsets, options, payload),
    });
  }

  /** Stops every consumer gracefully (see the class comment); resolves once they are disconnected. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const signal of this.signals) process.removeListener(signal, this.onSignal);
      clearInterval(this.commitTimer);
      await Promise.all(
        this.consumers.map(async ({ consumer, offsets, groupId }) => {
          // What is handled is committed now; the batch in progress commits the rest as it ends (handleBatch).
          await this.commit(groupId, offsets, asCommitOffsets(consumer));
          await consumer.disconnect();
        }),
      );
      if (this.deadLetterProducer) await (await this.deadLetterProducer).disconnect();
    })();
    return this.stopping;
  }

  private async handleBatch(
    groupId: string,
    offsets: HandledOffsets,
    subscription: Pick<SubscribeOptions, 'handler' | 'isTransient' | 'batchHandler'>,
    { batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }: EachBatchPayload,
  ): Promise<void> {
    const { topic, partition } = batch;
    // With explicit offsets this commits at once. Unlike `consumer.commitOffsets`, it still commits while the
    // consumer is stopping, which is when the last handled message of a graceful shutdown needs it.
    const commit: CommitOffsets = (topics) => commitOffsetsIfNecessary(topics);
    const handled = async (record: KafkaMessage) => {
      resolveOffset(record.offset);
      // The committed offset is the next message to read.
      offsets.handled(topic, partition, String(BigInt(record.offset) + 1n));
      if (offsets.due) await this.commit(groupId, offsets, commit);
      await heartbeat();
    };
    const one = (record: KafkaMessage) =>
      this.handleMessage(groupId, topic, partition, record, subscription, heartbeat, isRunning);
    try {
      if (subscription.batchHandler) {
        const size = this.options.maxBatchSize ?? 1_000;
        for (let start = 0; start < batch.messages.length; start += size) {
          if (!isRunning() || isStale()) break;
          const records = batch.messages.slice(start, start + size);
          const result = await this.handleRun(
            groupId,
            topic,
            partition,
            records,
            subscription,
            heartbeat,
            isRunning,
            one,
          );
          if (result === outcome.interrupted) break;
          await handled(records[records.length - 1] as KafkaMessage);
        }
        return;
      }
      for (const record of batch.messages) {
        if (!isRunning() || isStale()) break;
        const result = await this.handleMessage(
          groupId,
          topic,
          partition,
          record,
          subscription,
          heartbeat,
          isRunning,
        );
        if (result === outcome.interrupted) break;
        await handled(record);
      }
    } finally {
      // Stopping, or the partition is about to move: commit now rather than leave it to the timer.
      if (!isRunning() || isStale()) await this.commit(groupId, offsets, commit);
    }
  }

  private async commitDue(): Promise<void> {
    for (const { consumer, offsets, groupId } of this.consumers) {
      if (offsets.due) await this.commit(groupId, offsets, asCommitOffsets(consumer));
    }
  }

  private async commit(groupId: string, offsets: HandledOffsets, commit: CommitOffsets): Promise<void> {
    try {
      await offsets.flush(commit);
    } catch (error) {
      // The partitions may have moved to another member meanwhile: it redelivers from the last committed offset.
      this.logger.warn(
        { groupId, ...errorFields(error) },
        `could not commit offsets for group ${groupId}; messages handled since the last commit may be redelivered`,
      );
    }
  }

  /**
   * A run of one partition's records through the batch handler (see SubscribeOptions.batchHandler): malformed
   * records are dead-lettered first, the rest handled at once; a transient failure tries the run again until it
   * succeeds, any other hands the run to `one` record at a time.
   */
  private async handleRun(
    groupId: string,
    topic: string,
    partition: number,
    records: readonly KafkaMessage[],
    { batchHandler, isTransient }: Pick<SubscribeOptions, 'batchHandler' | 'isTransient'>,
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
    one: (record: KafkaMessage) => Promise<Outcome>,
  ): Promise<Outcome> {
    const messages: EventMessage[] = [];
    const wellFormed: KafkaMessage[] = [];
    for (const record of records) {
      try {
        messages.push(fromKafkaRecord(record));
        wellFormed.push(record);
      } catch (error) {
        if (!(error instanceof MalformedMessageError)) throw error;
        await this.deadLetter({ groupId, topic, partition, record, attempts: 0, error });
      }
    }
    for (let attempt = 1; ; attempt++) {
      // kafkajs heartbeats only when asked to: a run may take longer than the session timeout, and the group
      // would then drop this member and hand its partitions to another mid-run.
      const beating = setInterval(() => void heartbeat().catch(() => {}), this.heartbeatIntervalMs);
      try {
        if (messages.length > 0) await (batchHandler as NonNullable<typeof batchHandler>)(messages);
        return outcome.handled;
      } catch (error) {
        const transient = isTransient?.(error) === true;
        this.logger.warn(
          { groupId, topic, partition, messages: messages.length, attempt, transient, ...errorFields(error) },
          transient
            ? `batch of ${messages.length} messages failed for a transient reason (attempt ${attempt}); the partition waits and retries until it succeeds`
            : `batch of ${messages.length} messages failed; handling them one at a time`,
        );
        if (!transient) break;
        if (!(await this.pause(backoffMs(this.retry, attempt), heartbeat, isRunning)))
          return outcome.interrupted;
      } finally {
        clearInterval(beating);
      }
    }
    for (const record of wellFormed)
      if ((await one(record)) === outcome.interrupted) return outcome.interrupted;
    return outcome.handled;
  }

  private async handleMessage(
    groupId: string,
    topic: string,
    partition: number,
    record: KafkaMessage,
    { handler, isTransient }: Pick<SubscribeOptions, 'handler' | 'isTransient' | 'batchHandler'>,
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<Outcome> {
    let message: EventMessage;
    try {
      message = fromKafkaRecord(record);
    } catch (error) {
      if (!(error instanceof MalformedMessageError)) throw error;
      await this.deadLetter({ groupId, topic, partition, record, attempts: 0, error });
      return outcome.handled;
    }
    // Transient failures (see SubscribeOptions) are retried without counting towards maxAttempts.
    for (let attempt = 1, failures = 0; ; attempt++) {
      try {
        await handler(message);
        return outcome.handled;
      } catch (error) {
        const transient = isTransient?.(error) === true;
        if (!transient && ++failures >= this.retry.maxAttempts) {
          await this.deadLetter({ groupId, topic, partition, record, attempts: attempt, error, message });
          return outcome.handled;
        }
        this.logger.warn(
          {
            groupId,
            topic,
            partition,
            offset: record.offset,
            eventId: message.id,
            attempt,
            transient,
            ...errorFields(error),
          },
          transient
            ? `handler failed on ${message.type} ${message.id} for a transient reason (attempt ${attempt}); the partition waits and retries until it succeeds`
            : `handler failed on ${message.type} ${message.id} (attempt ${failures} of ${this.retry.maxAttempts}); retrying`,
        );
        if (!(await this.pause(backoffMs(this.retry, attempt), heartbeat, isRunning)))
          return outcome.interrupted;
      }
    }
  }

  /** Waits, heartbeating so the partition stays ours; false when the consumer is stopping meanwhile. */
  private async pause(
    ms: number,
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<boolean> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (!isRunning()) return false;
      await sleep(Math.min(500, until - Date.now()));
      await heartbeat();
    }
    return isRunning();
  }

  private async deadLetter(failure: {
    groupId: string;
    topic: string;
    partition: number;
    record: KafkaMessage;
    attempts: number;
    error: unknown;
    message?: EventMessage;
  }): Promise<void> {
    const { groupId, topic, partition, record, attempts, error, message } = failure;
    const dlq = deadLetterTopicOf(topic);
    const h = deadLetterHeaders;
    const headers: IHeaders = {
      ...record.headers,
      [h.error]: errorMessage(error),
      [h.topic]: topic,
      [h.partition]: String(partition),
      [h.offset]: record.offset,
      [h.groupId]: groupId,
      [h.attempts]: String(attempts),
      [h.failedAt]: new Date().toISOString(),
    };
    this.deadLetterProducer ??= (async () => {
      const producer = this.kafka.producer(eventProducerSettings);
      await producer.connect();
      return producer;
    })();
    const producer = await this.deadLetterProducer;
    // Sent and acknowledged before the offset is committed: a crash in between dead-letters it twice, never zero times.
    await producer.send({
      topic: dlq,
      acks: -1,
      messages: [{ key: record.key, value: record.value, headers }],
    });
    const what = message
      ? `${message.type} ${message.id} (${message.streamId}@${message.streamRevision})`
      : 'message';
    this.logger.error(
      {
        groupId,
        topic,
        partition,
        offset: record.offset,
        eventId: message?.id,
        type: message?.type,
        attempts,
        deadLetterTopic: dlq,
        error: errorMessage(error),
      },
      `dead-lettered ${what} at ${topic}[${partition}]@${record.offset} for group ${groupId} to ${dlq} ` +
        (attempts > 0 ? `after ${attempts} failed attempts: ` : 'without retrying, it is malformed: ') +
        errorMessage(error),
    );
  }
}
