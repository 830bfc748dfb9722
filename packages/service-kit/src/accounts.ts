import type { EventStore } from '@gram/event-store';
import { LRUCache } from 'lru-cache';
import { type AccountStanding, readAccountStanding } from './account-standing.js';

export type AccountStatus = 'none' | 'active' | 'deleted';

/**
 * Whether an account exists, read from identity's public events in the account's own stream.
 * Content and social-graph use it for cross-service checks (follow a user that exists, refuse
 * the tokens of a deleted account): the event store is the write side's truth, where a read
 * model could lag behind a deletion. A deletion is final, so it is remembered; a live account
 * is re-read every time because it may be deleted at any moment, by any process: only the tail of its
 * stream after what was folded last (readAccountStanding), which for a live account is one index lookup
 * that finds nothing. Every write asks this of its caller and of the accounts it touches.
 *
 * With `cacheActive` a live account is remembered too. Only for a process through which every
 * deletion of the store is appended and reported with `markDeleted` before its write answers
 * (identity in the embedded mode, see `createIdentityContext`'s `soleWriter`): then nothing can
 * delete an account behind this cache's back.
 */
export class AccountDirectory {
  readonly #deleted = remembered();
  readonly #active = remembered();
  readonly #cacheActive: boolean;

  constructor(
    private readonly store: EventStore,
    options: { cacheActive?: boolean } = {},
  ) {
    this.#cacheActive = options.cacheActive ?? false;
  }

  async status(userId: string): Promise<AccountStatus> {
    if (this.#deleted.has(userId)) return 'deleted';
    if (this.#active.has(userId)) return 'active';
    return (await this.standing(userId)).status;
  }

  /**
   * The account's status and whether it is private, for a write that needs both (engaging with a post). Privacy
   * can change at any moment, so only a deletion is answered from memory: the tail of the stream is read.
   */
  async standing(userId: string): Promise<AccountStanding> {
    if (this.#deleted.has(userId)) return { status: 'deleted', isPrivate: false };
    const standing = await readAccountStanding(this.store, userId);
    if (standing.status === 'deleted') this.#deleted.set(userId, true);
    else if (standing.status === 'active' && this.#cacheActive) this.#active.set(userId, true);
    return standing;
  }

  /** The account's UserDeleted was just appended (durably): from now on it reads as deleted. */
  markDeleted(userId: string): void {
    this.#active.delete(userId);
    this.#deleted.set(userId, true);
  }
}

/** Bounded: past this many accounts the least recently asked is forgotten (and read again from the store when asked). */
const remembered = () => new LRUCache<string, true>({ max: 200_000 });
