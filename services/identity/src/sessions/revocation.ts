import type { EventStore } from '@gram/event-store';
import { streamIds } from '@gram/events';
import type { AccessTokenClaims, AccountDirectory } from '@gram/service-kit';
import { LRUCache } from 'lru-cache';

/**
 * Bounds on what is remembered per session, so memory does not grow with every session ever seen: past
 * it the least recently used session is forgotten, and read again from the store when asked.
 */
const maxRemembered = 100_000;

/**
 * Whether a validly signed access token must be refused anyway: its account is deleted (or
 * unknown), or its session was revoked (logout, refresh-token reuse, account deletion). Read from
 * the event store, the write side's truth, never from a read model that may lag behind a logout.
 *
 * Both facts are final, so they are cached once seen. A live session is re-read on every request,
 * but only from the last revision seen: a long session with many refreshes costs one short read.
 *
 * With `cacheLive`, a session read live once is remembered as live: only for a process through
 * which every revocation of the store is appended and reported with `markRevoked` before its write
 * answers (identity in the embedded mode, see `createIdentityContext`'s `soleWriter`).
 */
export class RevocationCheck {
  readonly #revoked = new LRUCache<string, true>({ max: maxRemembered });
  /** last revision read of each live session's stream */
  readonly #readUpTo = new LRUCache<string, number>({ max: maxRemembered });
  readonly #cacheLive: boolean;

  constructor(
    private readonly store: EventStore,
    private readonly accounts: AccountDirectory,
    options: { cacheLive?: boolean } = {},
  ) {
    this.#cacheLive = options.cacheLive ?? false;
  }

  /** The session's SessionRevoked was just appended (durably): its tokens are refused from now on. */
  markRevoked(sessionId: string): void {
    this.#readUpTo.delete(sessionId);
    this.#revoked.set(sessionId, true);
  }

  /** For `authentication`'s `isRevoked` option. */
  readonly isRevoked = async (claims: AccessTokenClaims): Promise<boolean> => {
    if ((await this.accounts.status(claims.userId)) !== 'active') return true;
    return this.#sessionRevoked(claims.sessionId);
  };

  async #sessionRevoked(sessionId: string): Promise<boolean> {
    if (this.#revoked.has(sessionId)) return true;
    const seen = this.#readUpTo.get(sessionId);
    if (seen !== undefined && this.#cacheLive) return false;
    const events = await this.store.readStream(streamIds.session(sessionId), {
      fromRevision: seen === undefined ? 0 : seen + 1,
    });
    // A token naming a session that was never started is no token of ours to honour.
    if (seen === undefined && events.length === 0) return true;
    if (events.some((e) => e.type === 'SessionRevoked')) {
      this.#readUpTo.delete(sessionId);
      this.#revoked.set(sessionId, true);
      return true;
    }
    const last = events.at(-1);
    if (last) this.#readUpTo.set(sessionId, last.revision);
    return false;
  }
}
