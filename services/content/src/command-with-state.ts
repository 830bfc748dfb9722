import type { EventStore } from '@gram/event-store';
import type { DomainEvent } from '@gram/events';
import {
  type CommandContext,
  type Decider,
  type DomainError,
  foldEvents,
  handleCommand,
  isDomainError,
  type WriteResult,
} from '@gram/service-kit';

/**
 * `handleCommand`, also handing back the aggregate's state right after this command: the state
 * its (last, successful) decision was made on, folded with the events it appended. A write that
 * answers with its resource (PATCH /posts) must show exactly its own outcome; reading the stream
 * again afterwards could already show somebody else's later write.
 */
export async function handleCommandWithState<
  TCommand,
  TState,
  TEvent extends DomainEvent,
  TError extends DomainError,
>(
  store: EventStore,
  streamId: string,
  decider: Decider<TCommand, TState, TEvent, TError>,
  command: TCommand,
  context: CommandContext,
): Promise<{ result: WriteResult<TEvent>; state: TState } | TError> {
  let decidedOn = decider.initialState();
  const observing: Decider<TCommand, TState, TEvent, TError> = {
    ...decider,
    decide: (cmd, state) => {
      decidedOn = state;
      return decider.decide(cmd, state);
    },
  };
  const outcome = await handleCommand(store, streamId, observing, command, context);
  if (isDomainError(outcome)) return outcome;
  return { result: outcome, state: foldEvents(decider.evolve, decidedOn, outcome.events) };
}
