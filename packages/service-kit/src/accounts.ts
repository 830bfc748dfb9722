import type { EventStore } from '@gram/event-store';
import { fromStoredEvent, streamIds } from '@gram/events';

export type AccountStatus = 'none' | 'active' | 'deleted';

/**
 * Whether an account exists, read from identity's public events in the account's own stream.
 * Content and social-graph use it for cross-service checks (follow a user that exists, refuse
 * the tokens of a deleted account): the event store is the write side's truth, where a read
 * model could lag behind a deletion. A deletion is final, so it is remembered; a live account
 * is re-read every time because it may be deleted at any moment.
 */
export class AccountDirectory {
  readonly #deleted = new Set<string>();

  constructor(private readonly store: EventStore) {}

  async status(userId: string): Promise<AccountStatus> {
    if (this.#deleted.has(userId)) return 'deleted';
    let status: AccountStatus = 'none';
    for (const recorded of await this.store.readStream(streamIds.user(userId))) {
      const event = fromStoredEvent(recorded);
      if (event?.type === 'UserRegistered') status = 'active';
      else if (event?.type === 'UserDeleted') status = 'deleted';
    }
    if (status === 'deleted') this.#deleted.add(userId);
    return status;
  }
}
