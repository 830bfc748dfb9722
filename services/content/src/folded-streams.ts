import type { EventStore } from '@gram/event-store';
import { type DomainEvent, fromStoredEvent } from '@gram/events';
import type { Decider } from '@gram/service-kit';
import { LRUCache } from 'lru-cache';

/**
 * Aggregate states folded from their streams, brought up to date on every load by reading only
 * the events appended since the last load (`readStream` from the next revision). A stream is
 * append-only and its events never change, so the state is exactly what `loadAggregate` folds
 * from the whole stream, read from the store at the time of the call: never stale, only cheaper
 * (when nothing changed, one index probe and no event to parse or fold). It pays off for streams
 * read far more often than written, like a post that every like and comment checks.
 */
export class FoldedStreams<TState, TEvent extends DomainEvent> {
  readonly #folded: LRUCache<string, { state: TState; revision: number }>;

  constructor(
    private readonly store: EventStore,
    private readonly decider: Pick<Decider<unknown, TState, TEvent>, 'initialState' | 'evolve'>,
    /** how many streams are remembered; the least recently loaded is forgotten first */
    maxStreams = 10_000,
  ) {
    this.#folded = new LRUCache({ max: maxStreams });
  }

  async load(streamId: string): Promise<TState> {
    const known = this.#folded.get(streamId);
    const recorded = await this.store.readStream(streamId, { fromRevision: (known?.revision ?? -1) + 1 });
    let state = known?.state ?? this.decider.initialState();
    for (const r of recorded) {
      const event = fromStoredEvent(r);
      if (event) state = this.decider.evolve(state, event as TEvent);
    }
    const revision = recorded.at(-1)?.revision ?? known?.revision ?? -1;
    if (revision === -1) return state;
    // A concurrent load may have stored a newer fold meanwhile: never replace it with an older one.
    const current = this.#folded.get(streamId);
    if (current && current.revision > revision) return state;
    this.#folded.set(streamId, { state, revision });
    return state;
  }
}
