import { deadLetterTopicOf } from './dead-letters.js';
import { type Logger, stderrLogger } from './logger.js';
import type { EventMessage, Publisher, SubscribeOptions, Subscriber } from './messages.js';
import { backoffMs, defaultRetryPolicy, errorMessage, type RetryPolicy, sleep } from './retry.js';

export interface InProcessBusOptions {
  /**
   * Each consumer group spreads its messages over this many lanes by stream id, as Kafka spreads them over
   * partitions by key: one lane runs one handler call at a time, lanes run side by side.
   */
  lanes?: number;
  retry?: Partial<RetryPolicy>;
  /** `publish` waits while a lane of a subscribed group holds more undelivered messages than this */
  highWaterMark?: number;
  logger?: Logger;
}

/** A message whose handler kept failing; it is also published to `<topic>.dlq` on the bus. */
export interface DeadLetter {
  topic: string;
  groupId: string;
  message: EventMessage;
  attempts: number;
  error: string;
}

/**
 * Kafka's semantics in one process, for the embedded mode and for tests: the Publisher and Subscriber interfaces
 * of the Kafka adapters, with the guarantees a handler is written against.
 * - Order per stream: every message of a stream goes to the same lane of a group, and a lane awaits each handler
 *   call before the next one.
 * - At least once: a failed handler call is retried with backoff; after `maxAttempts` the message is dead-lettered
 *   (logged, kept in `deadLetters`, published to `<topic>.dlq`) and the lane moves on, as the Kafka subscriber does.
 *   Failures the subscription's `isTransient` recognises never count: the lane retries them until they succeed.
 * - Consumer groups: each group gets every message of its topics once; two groups are independent.
 *
 * Unlike Kafka the bus keeps no history: a group receives what is published after it subscribed. The embedded
 * mode therefore subscribes every worker before it starts the in-process relay, which replays the event store's
 * log from its start. `publish` resolves once each message is queued for every group (the bus has "acknowledged"
 * it) and applies backpressure: it waits while a lane is over `highWaterMark`, so replaying a long log never holds
 * more than that many messages per lane in memory.
 */
export class InProcessBus implements Publisher, Subscriber {
  readonly deadLetters: DeadLetter[] = [];
  private readonly groups = new Map<string, ConsumerGroup>();
  private readonly lanes: number;
  private readonly retry: RetryPolicy;
  private readonly highWaterMark: number;
  private readonly logger: Logger;
  private closed = false;

  constructor(options: InProcessBusOptions = {}) {
    this.lanes = options.lanes ?? 4;
    this.retry = { ...defaultRetryPolicy, ...options.retry };
    this.highWaterMark = options.highWaterMark ?? 10_000;
    this.logger = options.logger ?? stderrLogger;
  }

  async publish(messages: readonly { topic: string; message: EventMessage }[]): Promise<void> {
    if (this.closed) throw new Error('in-process bus is closed');
    for (const { topic, message } of messages) {
      for (const group of this.groups.values()) group.enqueue(topic, message);
    }
    for (const group of this.groups.values()) await group.belowHighWaterMark(this.highWaterMark);
  }

  async subscribe(options: SubscribeOptions): Promise<void> {
    if (this.closed) throw new Error('in-process bus is closed');
    if (this.groups.has(options.groupId)) {
      // Kafka would share the partitions between the two members; in one process a second member adds nothing.
      throw new Error(`consumer group ${options.groupId} is already subscribed on this bus`);
    }
    this.groups.set(
      options.groupId,
      new ConsumerGroup(options, this.lanes, this.retry, {
        deadLetter: (letter) => this.deadLetter(letter),
      }),
    );
  }

  /** Resolves once every message published so far has been handled (or dead-lettered) by every group. */
  async idle(): Promise<void> {
    for (const group of this.groups.values()) await group.idle();
  }

  /** Stops every group: handler calls in progress finish, messages not yet delivered are dropped. */
  async stop(): Promise<void> {
    const groups = [...this.groups.values()];
    this.groups.clear();
    await Promise.all(groups.map((group) => group.stop()));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stop();
  }

  private deadLetter(letter: DeadLetter): void {
    this.deadLetters.push(letter);
    const dlq = deadLetterTopicOf(letter.topic);
    this.logger.error(
      {
        topic: letter.topic,
        groupId: letter.groupId,
        eventId: letter.message.id,
        type: letter.message.type,
        streamId: letter.message.streamId,
        streamRevision: letter.message.streamRevision,
        attempts: letter.attempts,
        deadLetterTopic: dlq,
        error: letter.error,
      },
      `dead-lettered ${letter.message.type} ${letter.message.id} (${letter.message.streamId}@${letter.message.streamRevision}) ` +
        `of ${letter.topic} for group ${letter.groupId} to ${dlq} after ${letter.attempts} failed attempts: ${letter.error}`,
    );
    for (const group of this.groups.values()) group.enqueue(dlq, letter.message);
  }
}

interface Delivery {
  topic: string;
  message: EventMessage;
}

class ConsumerGroup {
  private readonly lanes: Lane[];
  private stopped = false;

  readonly groupId: string;
  private readonly topics: ReadonlySet<string>;

  constructor(
    { groupId, topics, handler, isTransient }: SubscribeOptions,
    laneCount: number,
    retry: RetryPolicy,
    hooks: { deadLetter: (letter: DeadLetter) => void },
  ) {
    this.groupId = groupId;
    this.topics = new Set(topics);
    const deliver = async ({ topic, message }: Delivery): Promise<void> => {
      // Transient failures (see SubscribeOptions) are retried without counting towards maxAttempts.
      for (let attempt = 1, failures = 0; ; attempt++) {
        try {
          await handler(message);
          return;
        } catch (error) {
          if (this.stopped) return;
          if (isTransient?.(error) !== true && ++failures >= retry.maxAttempts) {
            hooks.deadLetter({ topic, groupId, message, attempts: attempt, error: errorMessage(error) });
            return;
          }
          await sleep(backoffMs(retry, attempt));
          if (this.stopped) return;
        }
      }
    };
    this.lanes = Array.from({ length: laneCount }, () => new Lane(deliver));
  }

  enqueue(topic: string, message: EventMessage): void {
    if (this.stopped || !this.topics.has(topic)) return;
    (this.lanes[laneOf(message.streamId, this.lanes.length)] as Lane).push({ topic, message });
  }

  async belowHighWaterMark(highWaterMark: number): Promise<void> {
    for (const lane of this.lanes) {
      while (!this.stopped && lane.size > highWaterMark) await lane.progress();
    }
  }

  async idle(): Promise<void> {
    for (const lane of this.lanes) {
      while (!this.stopped && lane.busy) await lane.progress();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.lanes.map((lane) => lane.stop()));
  }
}

/** One ordered queue with one handler call at a time. */
class Lane {
  private queue: Delivery[] = [];
  private head = 0;
  private running: Promise<void> | undefined;
  private stopped = false;
  private waiters: (() => void)[] = [];

  constructor(private readonly deliver: (delivery: Delivery) => Promise<void>) {}

  get size(): number {
    return this.queue.length - this.head;
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  push(delivery: Delivery): void {
    this.queue.push(delivery);
    this.running ??= this.drain();
  }

  /** Resolves after the next delivery completes (or at once when the lane is idle). */
  progress(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async drain(): Promise<void> {
    while (!this.stopped && this.head < this.queue.length) {
      await this.deliver(this.queue[this.head] as Delivery);
      this.head++;
      if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.wakeWaiters();
    }
    this.queue = [];
    this.head = 0;
    this.running = undefined;
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** FNV-1a over the stream id: a stable lane per stream. */
function laneOf(streamId: string, lanes: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < streamId.length; i++) {
    hash ^= streamId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % lanes;
}
