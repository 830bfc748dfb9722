import type { EventStore } from '@gram/event-store';
import { streamIds } from '@gram/events';
import {
  type AccountDirectory,
  handleCommand,
  isDomainError,
  loadAggregate,
  type WriteResult,
} from '@gram/service-kit';
import {
  type Holder,
  type ReservationError,
  type ReservationEvent,
  reservationDecider,
  reservationKey,
  type UniqueKind,
} from './reservation.js';

export interface UniqueValue {
  kind: UniqueKind;
  value: string;
}

/** How often a release is tried before it is left to the reclaim rule (see `reservationDecider`). */
const releaseAttempts = 3;

/**
 * The reservation streams seen as a registry of unique values: who holds a value, claim one,
 * give one up.
 */
export class UniqueValues {
  constructor(
    private readonly store: EventStore,
    private readonly accounts: AccountDirectory,
  ) {}

  /** The account holding the value now, if any. */
  async holderOf({ kind, value }: UniqueValue): Promise<string | undefined> {
    const { state } = await loadAggregate(this.store, streamOf(kind, value), reservationDecider);
    return state.status === 'reserved' ? state.userId : undefined;
  }

  /**
   * Claim a value for `userId`. The append expects the revision read ("no stream" for a value
   * never claimed), so of concurrent claims exactly one wins; the others are decided again on the
   * fresh state and get 'ValueTaken'.
   */
  async reserve(
    { kind, value }: UniqueValue,
    userId: string,
    at: string,
  ): Promise<WriteResult<ReservationEvent> | ReservationError> {
    const streamId = streamOf(kind, value);
    const holder = await this.#otherHolder(streamId, userId);
    return handleCommand(this.store, streamId, reservationDecider, {
      type: 'ReserveValue',
      data: { kind, userId, reservedAt: at, ...(holder ? { holder } : {}) },
    });
  }

  /**
   * Give up `userId`'s claim on a value. Idempotent (a value not held by `userId` is left alone), so
   * it is simply tried again on failure. A release that is lost for good leaves a claim whose
   * account is deleted or was never registered, which the next claimant takes over.
   */
  async release({ kind, value }: UniqueValue, userId: string, at: string): Promise<void> {
    const streamId = streamOf(kind, value);
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await handleCommand(this.store, streamId, reservationDecider, {
          type: 'ReleaseValue',
          data: { kind, userId, releasedAt: at },
        });
        if (isDomainError(outcome)) throw new Error(`release of a ${kind} refused: ${outcome.message}`);
        return;
      } catch (error) {
        if (attempt >= releaseAttempts) throw error;
      }
    }
  }

  /** Releases several values, each tried on its own; fails after all were tried if any failed. */
  async releaseAll(values: readonly UniqueValue[], userId: string, at: string): Promise<void> {
    const outcomes = await Promise.allSettled(values.map((v) => this.release(v, userId, at)));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * The account holding the value when it is another one, with its status, so the decider can
   * tell a live claim from one left behind by a deleted account or a signup that died midway.
   */
  async #otherHolder(streamId: string, userId: string): Promise<Holder | undefined> {
    const { state } = await loadAggregate(this.store, streamId, reservationDecider);
    if (state.status !== 'reserved' || state.userId === userId) return undefined;
    return { userId: state.userId, account: await this.accounts.status(state.userId) };
  }
}

function streamOf(kind: UniqueKind, value: string): string {
  return streamIds.reservation(kind, reservationKey(kind, value));
}
