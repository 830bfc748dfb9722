import type { DomainEvent } from '@gram/events';

/**
 * A rule of the domain said no. Deciders return it (they never throw for business outcomes);
 * each service maps its codes to HTTP statuses in one place at its edge.
 */
export class DomainError<TCode extends string = string> {
  constructor(
    readonly code: TCode,
    readonly message: string,
    /** for errors about one input field, e.g. a taken userName */
    readonly field?: string,
  ) {}
}

/**
 * A decider: the whole life of one aggregate as pure functions. Time, ids and the acting user
 * come in with the command, so `decide` is deterministic and tested Given/When/Then.
 */
export interface Decider<
  TCommand,
  TState,
  TEvent extends DomainEvent,
  TError extends DomainError = DomainError,
> {
  initialState: () => TState;
  evolve: (state: TState, event: TEvent) => TState;
  decide: (command: TCommand, state: TState) => readonly TEvent[] | TError;
}

export function isDomainError(value: unknown): value is DomainError {
  return value instanceof DomainError;
}

/** Exhaustiveness guard at the end of a switch: a new command or event type cannot be forgotten. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}

/** Fold a stream's events into state. */
export function foldEvents<TState, TEvent>(
  evolve: (state: TState, event: TEvent) => TState,
  initial: TState,
  events: Iterable<TEvent>,
): TState {
  let state = initial;
  for (const event of events) state = evolve(state, event);
  return state;
}
