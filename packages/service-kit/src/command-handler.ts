import { type EventStore, type RecordedEvent, WrongExpectedRevisionError } from '@gram/event-store';
import { type DomainEvent, fromStoredEvent, isPublicEvent, toStoredEvent } from '@gram/events';
import { assertIfMatch, type IfMatch } from './conditional-writes.js';
import { type Decider, type DomainError, foldEvents, isDomainError } from './domain.js';
import { HttpProblem } from './problem.js';

export interface CommandContext {
  [key: string]: unknown;
  /** the account acting, recorded in each event's metadata */
  actorId?: string;
  /** the request that caused the command, recorded for tracing */
  correlationId?: string;
}

/** What a write hands back: the events it appended and where they landed, for read-your-writes. */
export interface WriteResult<TEvent extends DomainEvent = DomainEvent> {
  streamId: string;
  events: readonly TEvent[];
  /** the stream's revision after the command (-1: the stream still does not exist) */
  streamRevision: number;
  /**
   * Global position of the last event appended, or of the stream's last event when the
   * command changed nothing: a read that waits for it sees the state the command saw.
   */
  position: number;
}

/**
 * What a command hands back: its write, and the aggregate's state right after it (the state its
 * decision was made on, folded with the events it appended). A route answers from this state,
 * never from a second read of the stream, which could already show a later concurrent write.
 */
export interface CommandResult<TState, TEvent extends DomainEvent = DomainEvent> extends WriteResult<TEvent> {
  state: TState;
  /** the revision of the stream's last public event after the command: the resource's ETag (conditional-writes.ts) */
  publicRevision: number;
}

/** An aggregate as its stream leaves it. */
export interface LoadedAggregate<TState> {
  state: TState;
  revision: number;
  /** the revision of the stream's last public event, which the read side has seen (-1: none) */
  publicRevision: number;
  position: number;
}

type Folding<TState, TEvent extends DomainEvent> = Pick<
  Decider<unknown, TState, TEvent>,
  'initialState' | 'evolve'
>;

/** Read an aggregate's stream as domain events of today's schema, with its revision and last position. */
export async function loadAggregate<TState, TEvent extends DomainEvent>(
  store: EventStore,
  streamId: string,
  decider: Folding<TState, TEvent>,
): Promise<LoadedAggregate<TState>> {
  return foldAggregate(await store.readStream(streamId), decider);
}

/** loadAggregate for several streams of one decider, read at once (EventStore.readStreams). */
export async function loadAggregates<TState, TEvent extends DomainEvent>(
  store: EventStore,
  streamIdsToRead: readonly string[],
  decider: Folding<TState, TEvent>,
): Promise<LoadedAggregate<TState>[]> {
  return (await store.readStreams(streamIdsToRead)).map((recorded) => foldAggregate(recorded, decider));
}

function foldAggregate<TState, TEvent extends DomainEvent>(
  recorded: readonly RecordedEvent[],
  decider: Folding<TState, TEvent>,
): LoadedAggregate<TState> {
  const events = recorded.flatMap((r) => {
    const event = fromStoredEvent(r);
    return event ? [event as TEvent] : [];
  });
  const last = recorded.at(-1);
  const lastPublic = recorded.findLast((r) => isPublicEvent(r.type));
  return {
    state: foldEvents(decider.evolve, decider.initialState(), events),
    revision: last?.revision ?? -1,
    publicRevision: lastPublic?.revision ?? -1,
    position: last?.position ?? 0,
  };
}

const maxAttempts = 5;

/**
 * Load, decide, append with the revision read. A lost race (somebody appended in between) is
 * retried on the fresh state: the new decision may well be the same no-op or the same events,
 * so a client only sees a conflict when the world really changed under it, and the retries run out.
 * With `ifMatch` (a conditional write, see conditional-writes.ts), the stream as loaded must still be at
 * the client's ETag, or the answer is 412 and nothing is appended; the append's expected revision is the
 * revision that check was made on, so a write in between is caught by the retry's check.
 * With `newStream` (the stream's id was made for this command, like a new post's), the first attempt decides on
 * the initial state and appends expecting no stream, without reading it: an id just made cannot name a stream
 * yet. Should it exist after all, that append is refused and the retry reads it like any other.
 */
export async function handleCommand<TCommand, TState, TEvent extends DomainEvent, TError extends DomainError>(
  store: EventStore,
  streamId: string,
  decider: Decider<TCommand, TState, TEvent, TError>,
  command: TCommand,
  context: CommandContext = {},
  conditions: { ifMatch?: IfMatch; newStream?: boolean } = {},
): Promise<CommandResult<TState, TEvent> | TError> {
  for (let attempt = 1; ; attempt++) {
    const { state, revision, publicRevision, position } =
      attempt === 1 && conditions.newStream
        ? { state: decider.initialState(), revision: -1, publicRevision: -1, position: 0 }
        : await loadAggregate(store, streamId, decider);
    const decision = decider.decide(command, state);
    // A refusal (not found, not the author) is the answer whatever the condition (RFC 9110 §13.2.1);
    // an edit that changes nothing still answers 412 to a client whose view is stale.
    if (isDomainError(decision)) return decision;
    assertIfMatch(conditions.ifMatch, publicRevision);
    if (decision.length === 0) {
      return { streamId, events: [], streamRevision: revision, publicRevision, position, state };
    }
    try {
      const appended = await store.appendToStream(
        streamId,
        decision.map((e) => toStoredEvent(e, context)),
        { expectedRevision: revision === -1 ? 'no_stream' : revision },
      );
      return {
        streamId,
        events: decision,
        streamRevision: appended.nextExpectedRevision,
        publicRevision: lastPublicRevision(decision, revision, publicRevision),
        position: appended.position,
        state: foldEvents(decider.evolve, state, decision),
      };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError) || attempt >= maxAttempts) {
        if (error instanceof WrongExpectedRevisionError) {
          throw new HttpProblem(409, `${streamId} kept changing while the request was decided; try again`);
        }
        throw error;
      }
    }
  }
}

/** The revision of the last public event after appending `appended` at `revision` + 1, + 2, ... */
function lastPublicRevision(
  appended: readonly DomainEvent[],
  revision: number,
  publicRevision: number,
): number {
  const last = appended.findLastIndex((event) => isPublicEvent(event.type));
  return last === -1 ? publicRevision : revision + 1 + last;
}
