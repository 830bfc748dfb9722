import type { EventStore } from '@gram/event-store';
import { type DataKeyStore, legacyReservationStreamId, ReservationIds } from '@gram/personal-data';
import { type AccountDirectory, handleCommand, isDomainError, loadAggregate } from '@gram/service-kit';
import {
  type ReservationCommand,
  type ReservationError,
  type ReservationState,
  reservationDecider,
  type UniqueKind,
} from './reservation.js';

export interface UniqueValue {
  kind: UniqueKind;
  value: string;
}

/** How often a release is tried before it is left to the reclaim rule (see `reservationDecider`). */
const releaseAttempts = 3;

/** The stream a value's claim is decided on, with its state. */
interface Claim {
  streamId: string;
  state: ReservationState;
}

/**
 * The reservation streams seen as a registry of unique values: who holds a value, claim one,
 * give one up. A value's stream id is keyed by the reservation secret (ReservationIds, in
 * packages/personal-data, says why), read from identity's data key store on first use.
 *
 * A log written before ids were keyed holds its claims under legacy ids (a plain SHA-256 of the
 * value), which still count until the log is migrated (`encrypt-log` rewrites them; then the
 * legacy reads below find nothing and can go). Nothing new is ever appended under a legacy id
 * but a release: a claim is only made under the keyed id, and only once the legacy stream holds
 * no claim. A legacy stream once released is so for good, so the keyed stream exists only for a
 * value nobody holds under the legacy one, and uniqueness still rests on the keyed stream's
 * expected revision. That holds only while no older identity (one that claims under legacy ids)
 * writes to the same log: replace every replica at once, not one by one.
 */
export class UniqueValues {
  #reservationIds: Promise<ReservationIds> | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly accounts: AccountDirectory,
    private readonly dataKeys: Pick<DataKeyStore, 'create'>,
  ) {}

  /** The account holding the value now, if any. */
  async holderOf(value: UniqueValue): Promise<string | undefined> {
    const { state } = await this.#claim(value);
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
  ): Promise<ReservationError | undefined> {
    const claim = await this.#claim({ kind, value });
    const keyed = (await this.#ids()).streamId(kind, value);
    if (claim.streamId !== keyed && claim.state.status === 'reserved') {
      // Held under its legacy id: decided on that claim, but a takeover is made under the keyed id,
      // once the legacy claim is given up on its holder's behalf.
      const decision = reservationDecider.decide(
        await this.#reserveCommand(claim.state, kind, userId, at),
        claim.state,
      );
      if (isDomainError(decision)) return decision;
      // Already this account's: a retried signup.
      if (claim.state.userId === userId) return undefined;
      await this.#release(claim.streamId, kind, claim.state.userId, at);
    }
    // The keyed stream did not exist when the claim was read under the legacy id.
    const state = claim.streamId === keyed ? claim.state : reservationDecider.initialState();
    const outcome = await handleCommand(
      this.store,
      keyed,
      reservationDecider,
      await this.#reserveCommand(state, kind, userId, at),
    );
    return isDomainError(outcome) ? outcome : undefined;
  }

  /**
   * Give up `userId`'s claim on a value, under whichever stream holds it. Idempotent (a value not
   * held by `userId` is left alone), so it is simply tried again on failure. A release that is lost
   * for good leaves a claim whose account is deleted or was never registered, which the next
   * claimant takes over.
   */
  async release(value: UniqueValue, userId: string, at: string): Promise<void> {
    const { streamId } = await this.#claim(value);
    await this.#release(streamId, value.kind, userId, at);
  }

  /** Releases several values, each tried on its own; fails after all were tried if any failed. */
  async releaseAll(values: readonly UniqueValue[], userId: string, at: string): Promise<void> {
    const outcomes = await Promise.allSettled(values.map((v) => this.release(v, userId, at)));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async #release(streamId: string, kind: UniqueKind, userId: string, at: string): Promise<void> {
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

  /**
   * The claim as it stands: the keyed stream once it exists, else the legacy stream while it holds a
   * claim (read until the log is migrated), else the keyed stream, where the value is claimed.
   */
  async #claim({ kind, value }: UniqueValue): Promise<Claim> {
    const streamId = (await this.#ids()).streamId(kind, value);
    const keyed = await loadAggregate(this.store, streamId, reservationDecider);
    if (keyed.revision === -1) {
      const legacyId = legacyReservationStreamId(kind, value);
      const legacy = await loadAggregate(this.store, legacyId, reservationDecider);
      if (legacy.state.status === 'reserved') return { streamId: legacyId, state: legacy.state };
    }
    return { streamId, state: keyed.state };
  }

  /**
   * The claim, with the account holding the value when it is another one and its status, so the
   * decider can tell a live claim from one left behind by a deleted account or a signup that died
   * midway.
   */
  async #reserveCommand(
    state: ReservationState,
    kind: UniqueKind,
    userId: string,
    at: string,
  ): Promise<ReservationCommand> {
    const holder =
      state.status === 'reserved' && state.userId !== userId
        ? { userId: state.userId, account: await this.accounts.status(state.userId) }
        : undefined;
    return { type: 'ReserveValue', data: { kind, userId, reservedAt: at, ...(holder ? { holder } : {}) } };
  }

  /**
   * The ids under the secret, read once; a failed read (the key store is down: the request answers
   * 503) is tried again by the next call.
   */
  #ids(): Promise<ReservationIds> {
    if (this.#reservationIds === undefined) {
      this.#reservationIds = ReservationIds.of(this.dataKeys).catch((error: unknown) => {
        this.#reservationIds = undefined;
        throw error;
      });
    }
    return this.#reservationIds;
  }
}
