import type { DomainEvent } from '@gram/events';
import { type Decider, type DomainError, foldEvents, isDomainError } from '@gram/service-kit';
import { expect } from 'vitest';

/**
 * Given(events) / When(command) / Then(events or error) for a decider, with no I/O:
 * `spec(decider).given(...).when(command).thenEvents([...])` or `.thenError('code', 'field')`.
 */
export function deciderSpec<TCommand, TState, TEvent extends DomainEvent, TError extends DomainError>(
  decider: Decider<TCommand, TState, TEvent, TError>,
) {
  return {
    given: (...events: TEvent[]) => ({
      when: (command: TCommand) => {
        const state = foldEvents(decider.evolve, decider.initialState(), events);
        const outcome = decider.decide(command, state);
        return {
          thenEvents(expected: TEvent[]) {
            if (isDomainError(outcome)) throw new Error(`expected events, got error ${outcome.code}`);
            expect(outcome).toEqual(expected);
          },
          thenError(code: TError['code'], field?: string) {
            expect(isDomainError(outcome) ? { code: outcome.code, field: outcome.field } : outcome).toEqual({
              code,
              field,
            });
          },
        };
      },
    }),
    /** the state after the given events, for rules about what evolve remembers */
    stateAfter: (...events: TEvent[]) => foldEvents(decider.evolve, decider.initialState(), events),
  };
}
