import type { EventMessage } from '@gram/messaging';
import type { Counter, ProjectionContext } from '../read-models/read-model.js';
import { readModels } from '../read-models/registry.js';
import { defaultFeedCap, type ReadModelStore } from '../store/document-store.js';

export interface ProjectorOptions {
  /** authors with more followers than this are not fanned out on write; feeds merge their posts at read time */
  hotAuthorThreshold?: number;
  /** entries per home feed (the feed store's cap): how many recent posts a follow pulls in */
  feedCap?: number;
  /**
   * Nothing else writes the store while this projector runs, and it applies one event at a time (a rebuild's
   * fold into a fresh store): a count it reads is still current when written, so writeCount skips its check.
   */
  soleWriter?: boolean;
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
 * 2. Everything derived from other streams (counts, "author deleted" flags, feeds, the hot authors a feed
 *    merges) is then reconciled from the documents as stored, never from the event: counts are recounted from
 *    the edges, feeds are fixed from the post's and the follow edge's stored state. The reconcile step runs
 *    even when rule 1 did not apply, so a crash between the two writes is repaired by the redelivery.
 * Events of different streams may arrive in any order (a like before its post, a follow before the followee's
 * registration, a comment after its author's deletion): each handler reconciles what its write affects, and the
 * document written by the other event reconciles the rest when it arrives, so both orders meet at the same state.
 *
 * Counts are the read models' Counters: a filter over the documents counted, which verify recounts from the
 * event store with the same filter. Recounts read then write: handle() applies one message at a time within a
 * worker, and each count written is checked with a fresh count (writeCount), which keeps counts exact when
 * several workers (Kafka partitions spread over processes) recount the same post or user at once.
 */
export class Projector {
  private readonly store: ReadModelStore;
  private readonly soleWriter: boolean;
  private readonly context: ProjectionContext;
  /** event type → the handlers of the read models that handle it, in registry order */
  private readonly handlers = new Map<string, AnyHandler[]>();
  private readonly counters: readonly Counter[];
  private queue: Promise<void> = Promise.resolve();
  /** counter → the documents whose count the events applied so far may have changed (see applyEvents) */
  private pending = new Map<Counter, Set<string>>();

  constructor(store: ReadModelStore, options: ProjectorOptions = {}) {
    this.store = store;
    this.soleWriter = options.soleWriter === true;
    for (const model of readModels) {
      for (const type of model.canHandle) {
        const handlers = this.handlers.get(type) ?? [];
        handlers.push(model.handlers[type] as AnyHandler);
        this.handlers.set(type, handlers);
      }
    }
    this.counters = readModels.flatMap((model) => model.counters);
    this.context = {
      documents: store.documents,
      feeds: store.feeds,
      hotAuthorThreshold: options.hotAuthorThreshold ?? defaultHotAuthorThreshold,
      feedCap: options.feedCap ?? defaultFeedCap,
      recountLater: (counter, id) => {
        let ids = this.pending.get(counter);
        if (!ids) {
          ids = new Set();
          this.pending.set(counter, ids);
        }
        ids.add(id);
      },
      recount: (counter, id) => this.writeCount(counter, id),
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
   * Applies public events in order, then recounts what they changed; the checkpoint is left to the caller (the
   * rebuild advances it once per page of the log). Counts that no handler reads (likes, comments and replies
   * of a post or comment, posts of an author) are recounted once per call instead of once per event: a recount
   * reads nothing but the stored edges, so running it after the last event leaves what running it after each
   * would have. A page of the log then costs one recount per post liked in it, not one per like.
   * With `recount: false` those counts stay pending, to be recounted by a later call or by recount(): a fold
   * into a store nobody reads yet recounts once at its end, one recount per post liked in the whole log.
   */
  async applyEvents(events: Iterable<ProjectedEvent>, options: { recount?: boolean } = {}): Promise<void> {
    const context = this.context;
    for (const event of events) {
      const handlers = this.handlers.get(event.type);
      if (handlers === undefined) continue;
      // A ProjectedEvent of a handled type carries that type's payload at the catalogue's version.
      for (const handler of handlers) await handler(event.data, context, event.streamRevision);
    }
    if (options.recount !== false) await this.recount();
  }

  /** Records that everything up to `position` is applied. */
  async advance(position: number): Promise<void> {
    await this.store.checkpoint.advance(position);
  }

  /**
   * Recounts what the events applied so far left pending (see applyEvents), counter by counter in registry
   * order; the pending set is taken first, so a failed recount is redone next time.
   */
  async recount(): Promise<void> {
    const pending = this.pending;
    this.pending = new Map();
    for (const counter of this.counters) {
      for (const id of pending.get(counter) ?? []) await this.writeCount(counter, id);
    }
  }

  /**
   * Writes `counter` of the document `id` as the number of documents matching its filter, and answers it. Other
   * workers may recount the same counter at the same time (the likes of one post arrive on as many streams, and
   * so partitions, as it has likers): a count read before another worker's edge and written after that worker's
   * recount would leave a stale number. So the write is checked with a fresh count, and written again until the
   * two agree. Every writer does this, so whoever writes last has read every edge applied before its write.
   * A sole writer (see ProjectorOptions) has nobody to race, and writes what it counted.
   */
  private async writeCount(counter: Counter, id: string): Promise<number> {
    const d = this.store.documents;
    const filter = counter.filter(id);
    let count = await d.count(counter.counted, filter);
    for (;;) {
      await d.setFields(counter.collection, id, { [counter.field]: count });
      if (this.soleWriter) return count;
      const again = await d.count(counter.counted, filter);
      if (again === count) return count;
      count = again;
    }
  }
}

/** One event as the handlers read it: its type, its payload at the catalogue's version, its stream revision. */
export interface ProjectedEvent {
  readonly type: string;
  readonly data: unknown;
  readonly streamRevision: number;
}
