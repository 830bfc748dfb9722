import type { DomainEvent } from '@gram/events';
import { expect } from 'vitest';
import { type Decider, type DomainError, foldEvents, isDomainError } from './domain.js';

/**
 * Given(events) / When(command) / Then(events, error or state) for a decider, the one helper of
 * every service's decider tests: `spec(liked(t1)).when(like(t2)).thenNothingHappens()`. The state
 * is only ever built by folding past events, exactly as it is when loaded from the store.
 */
export function deciderSpec<TCommand, TState, TEvent extends DomainEvent, TError extends DomainError>(
  decider: Decider<TCommand, TState, TEvent, TError>,
) {
  return (...given: TEvent[]) => ({
    when: (command: TCommand) => {
      const decidedOn = foldEvents(decider.evolve, decider.initialState(), given);
      const decision = decider.decide(command, decidedOn);
      const events = isDomainError(decision) ? { unexpectedError: decision } : decision;
      return {
        thenRecords: (...expected: TEvent[]) => {
          expect(events).toEqual(expected);
        },
        thenNothingHappens: () => {
          expect(events).toEqual([]);
        },
        /** the error's code, and the input field it names (none when `field` is left out) */
        thenFailsWith: (code: TError['code'], field?: string) => {
          expect(
            isDomainError(decision)
              ? { code: decision.code, field: decision.field }
              : { unexpectedEvents: decision },
          ).toEqual({ code, field });
        },
        /** the state after the command: the given events folded with the events it decided */
        thenStateIs: (expected: TState) => {
          expect(
            isDomainError(decision)
              ? { unexpectedError: decision }
              : foldEvents(decider.evolve, decidedOn, decision),
          ).toEqual(expected);
        },
      };
    },
  });
}
