/**
 * An event as it travels from the event store to its consumers, on Kafka or on the in-process
 * bus. On Kafka it is a CloudEvents binary-mode message: these fields are its `ce_*` headers and
 * the payload is the message value (see docs/asyncapi.yaml).
 */
export interface EventMessage {
  /** the event's id in the event store (ce_id): the same id on every redelivery */
  id: string;
  /** ce_type, e.g. `PostLiked` */
  type: string;
  /** schema version of `data` as published */
  version: number;
  /** the aggregate's stream, also the Kafka message key: one stream's events stay in order */
  streamId: string;
  /** the event's revision in its stream, from 0 */
  streamRevision: number;
  /** the event's position in the event store's global log */
  position: number;
  /** when the event was recorded, ISO 8601 UTC (ce_time) */
  time: string;
  /** the payload */
  data: unknown;
}

/**
 * A consumer's handler. It is called for one message at a time per partition (per stream on the
 * in-process bus), in order; the message is acknowledged only after the returned promise resolves.
 * Delivery is at least once: a handler must be idempotent.
 */
export type MessageHandler = (message: EventMessage) => Promise<void>;

export interface SubscribeOptions {
  groupId: string;
  topics: readonly string[];
  handler: MessageHandler;
  /**
   * Which failures say nothing about the message: a database the handler writes to is unreachable, say. Those
   * are retried until the handler succeeds (backoff capped at the retry policy's `maxBackoffMs`) and never
   * dead-lettered, however long the outage; the partition waits meanwhile, so order is kept. Every other failure
   * counts towards `maxAttempts`. Without it, every failure counts: an outage longer than the retry budget
   * would dead-letter every message that arrives during it.
   */
  isTransient?: (error: unknown) => boolean;
  /**
   * Handles a run of one partition's messages at once, in offset order, for a handler that applies many with
   * fewer round trips than one at a time (a subscriber that has no batches, the in-process bus, calls `handler`).
   * It must be all or nothing in effect, as `handler` is for one message: on a transient failure the whole run
   * is tried again; on any other, its messages go through `handler` one at a time, with its retries and dead
   * letters, so a poisoned message fails alone. Offsets are committed after the run's work.
   */
  batchHandler?: (messages: readonly EventMessage[]) => Promise<void>;
}

export interface Subscriber {
  /** consume `topics` as the consumer group `groupId` until stopped */
  subscribe(options: SubscribeOptions): Promise<void>;
  stop(): Promise<void>;
}

export interface Publisher {
  /** resolves once every message is acknowledged by the transport */
  publish(messages: readonly { topic: string; message: EventMessage }[]): Promise<void>;
  close(): Promise<void>;
}
