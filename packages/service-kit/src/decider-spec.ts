import type { DomainEvent } from '@gram/events';
import { expect } from 'vitest';
import { type Decider, type DomainError, foldEvents, isDomainError } from './domain.js';

/**
 * Given(events) / When(command) / Then(events or error) for a decider: the state is only ever
 * built by folding past events, exactly as it is when loaded from the store.
 */
export function deciderSpec<TCommand, TState, TEvent extends DomainEvent, TError extends DomainError>(
  decider: Decider<TCommand, TState, TEvent, TError>,
) {
  return (...given: TEvent[]) => ({
    when: (command: TCommand) => {
      const decision = decider.decide(command, foldEvents(decider.evolve, decider.initialState(), given));
      return {
        thenRecords: (...expected: TEvent[]) => {
          expect(isDomainError(decision) ? { unexpectedError: decision } : decision).toEqual(expected);
        },
        thenNothingHappens: () => {
          expect(isDomainError(decision) ? { unexpectedError: decision } : decision).toEqual([]);
        },
        thenFailsWith: (code: TError['code']) => {
          expect(isDomainError(decision) ? decision.code : { unexpectedEvents: decision }).toBe(code);
        },
      };
    },
  });
}
