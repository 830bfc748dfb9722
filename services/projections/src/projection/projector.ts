import { personalFields } from '@gram/events';
import type { EventMessage } from '@gram/messaging';
import {
  type DataKeyState,
  type DataKeys,
  decryptPersonalFields,
  hasEncryptedFields,
} from '@gram/personal-data';
import pLimit from 'p-limit';
import type { ProjectionContext } from '../read-models/read-model.js';
import { readModels } from '../read-models/registry.js';
import { defaultFeedCap, type ReadModelStore } from '../store/document-store.js';

export interface ProjectorOptions {
  /** authors with more followers than this are not fanned out on write; feeds merge their posts at read time */
  hotAuthorThreshold?: number;
  /** entries per home feed (the feed store's cap): how many recent posts a follow pulls in */
  feedCap?: number;
  /** how many streams of a batch are applied side by side (applyBatch; default 32) */
  concurrency?: number;
  /**
   * The accounts' data keys, to read the personal fields events carry encrypted (the catalogue's `personal`):
   * identity's key store in the embedded mode, identity asked over HTTP in the distributed one. Without it an
   * encrypted field cannot be read, and its event fails (to be retried) rather than being applied unread.
   */
  dataKeys?: DataKeys;
  /**
   * A rebuild's fold (rebuildInMemory), into a store that builds the rankings whole at its end: the handlers
   * of the read models that keep nothing else (builtWholeOnRebuild) are not run, which spares a call and an
   * await per like.
   */
  rebuild?: boolean;
}

export const defaultHotAuthorThreshold = 10_000;

/** A handler with its event type erased: what the dispatch table holds. */
type AnyHandler = (data: unknown, context: ProjectionContext, rev: number) => Promise<void>;

/**
 * The projection: one event message in, the handlers of every read model that handles its type run in turn
 * (registry.ts), read-model writes out.
 *
 * Idempotent and order-tolerant by construction, with two rules every handler keeps:
 * 1. The document of the event's own stream (user, post, comment, reply, like edge, follow edge) is written only
 *    through `applyRevision`, guarded by the stream revision: a redelivered or stale event changes nothing.
 *    Counts move with those writes, in the same atomic step, by exactly the change the write made (Counter in
 *    store/document-store.ts): a redelivered event moves no count, and no handler ever recounts.
 * 2. Everything else derived from other streams ("author deleted" flags, feeds, the hot authors a feed merges)
 *    is then reconciled from the documents as stored, never from the event: feeds are fixed from the post's
 *    and the follow edge's stored state. The reconcile step runs even when rule 1 did not apply, so a crash
 *    between the two writes is repaired by the redelivery.
 * Events of different streams may arrive in any order (a like before its post, a follow before the followee's
 * registration, a comment after its author's deletion): each handler reconciles what its write affects, and the
 * document written by the other event reconciles the rest when it arrives, so both orders meet at the same state.
 * So messages of different streams may also be applied side by side (applyBatch), as several workers on
 * several partitions do anyway; one stream's messages are applied one at a time, in order.
 */
export class Projector {
  private readonly store: ReadModelStore;
  private readonly context: ProjectionContext;
  /** event type → the handlers of the read models that handle it, in registry order */
  private readonly handlers = new Map<string, AnyHandler[]>();
  private queue: Promise<void> = Promise.resolve();
  private readonly concurrency: number;
  private readonly dataKeys: DataKeys | undefined;

  constructor(store: ReadModelStore, options: ProjectorOptions = {}) {
    this.store = store;
    this.concurrency = options.concurrency ?? 32;
    this.dataKeys = options.dataKeys;
    for (const model of readModels) {
      if (options.rebuild && model.builtWholeOnRebuild) continue;
      for (const type of model.canHandle) {
        const handlers = this.handlers.get(type) ?? [];
        handlers.push(model.handlers[type] as AnyHandler);
        this.handlers.set(type, handlers);
      }
    }
    this.context = {
      documents: store.documents,
      feeds: store.feeds,
      search: store.search,
      rankings: store.rankings,
      hotAuthorThreshold: options.hotAuthorThreshold ?? defaultHotAuthorThreshold,
      feedCap: options.feedCap ?? defaultFeedCap,
    };
  }

  /** A MessageHandler: applies messages one at a time, in the order handle() was called. */
  readonly handle = (message: EventMessage): Promise<void> => {
    const run = this.queue.then(() => this.apply(message));
    this.queue = run.catch(() => {});
    return run;
  };

  /** Applies one message; callers that already serialize call this directly. */
  async apply(message: EventMessage): Promise<void> {
    await this.applyEvents([message]);
    await this.advance(message.position);
  }

  /**
   * Applies a batch of messages (one Kafka partition's, say): each stream's in order, streams side by side up
   * to `concurrency` at a time (see the class comment for why that is safe), then advances the checkpoint once.
   * `onApplied` hears of each message as soon as its writes are done, not at the end of the batch: a reader
   * waiting for its own write (read-your-writes) waits for that write only.
   * The stores' round trips of different streams then overlap instead of queueing behind each other.
   */
  async applyBatch(
    messages: readonly EventMessage[],
    onApplied?: (message: EventMessage) => void,
  ): Promise<void> {
    if (messages.length === 0) return;
    const streams = new Map<string, EventMessage[]>();
    let last = 0;
    for (const message of messages) {
      const stream = streams.get(message.streamId);
      if (stream) stream.push(message);
      else streams.set(message.streamId, [message]);
      if (message.position > last) last = message.position;
    }
    const limit = pLimit(this.concurrency);
    const applyStream = async (stream: readonly EventMessage[]) => {
      for (const message of stream) {
        await this.applyEvents([message]);
        onApplied?.(message);
      }
    };
    await Promise.all([...streams.values()].map((stream) => limit(() => applyStream(stream))));
    await this.advance(last);
  }

  /** Applies events one at a time, in order; the checkpoint is left to the caller. */
  async applyEvents(events: Iterable<ProjectedEvent>): Promise<void> {
    const context = this.context;
    for (const event of events) {
      const handlers = this.handlers.get(event.type);
      if (handlers === undefined) continue;
      // A ProjectedEvent of a handled type carries that type's payload at the catalogue's version, its personal
      // fields encrypted (or plaintext, written before encryption existed, or decrypted already by a rebuild's
      // thread): the handlers read them decrypted. Checked in line: an await per event costs a rebuild's fold.
      const data = hasEncryptedFields(event.type, event.data, personalFields)
        ? await decryptPersonalFields(event.type, event.data, personalFields, this.keyOf)
        : event.data;
      for (const handler of handlers) await handler(data, context, event.streamRevision);
      // A key kept for a deleted account is dropped at once (its destruction came before this event).
      if (event.type === 'UserDeleted') this.dataKeys?.forget((data as { userId: string }).userId);
    }
  }

  private readonly keyOf = (accountId: string): Promise<DataKeyState> => {
    if (!this.dataKeys) {
      throw new Error(
        `an encrypted personal field of account ${accountId} arrived, and no data keys were given (IDENTITY_URL)`,
      );
    }
    return this.dataKeys.get(accountId);
  };

  /** Records that everything up to `position` is applied. */
  async advance(position: number): Promise<void> {
    await this.store.checkpoint.advance(position);
  }
}

/** One event as the handlers read it: its type, its payload at the catalogue's version, its stream revision. */
export interface ProjectedEvent {
  readonly type: string;
  readonly data: unknown;
  readonly streamRevision: number;
}
