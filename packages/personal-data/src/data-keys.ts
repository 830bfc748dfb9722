import { LRUCache } from 'lru-cache';
import type { DataKeyState } from './data-key-store.js';

/** Asks the key store for an account's key: the store itself, or a client of the service that owns it. */
export type DataKeyLookup = (accountId: string) => Promise<DataKeyState>;

export interface DataKeysOptions {
  /** how many live keys are kept; the least recently used is forgotten first (10 000 unless set) */
  maxLiveKeys?: number;
  /**
   * How long a live key is used before it is asked for again (ms; a minute unless set). It bounds how long a
   * reader that missed an account's deletion keeps decrypting with a key the store has destroyed.
   */
  liveKeyTtlMs?: number;
  /** the time in ms; the system's monotonic clock unless a test sets it */
  clock?: () => number;
}

const DESTROYED: DataKeyState = { state: 'destroyed' };
/**
 * Destroyed is final, so it is remembered without a time limit, bounded only by memory: past this many, the
 * least recently asked is asked again, and the store, which keeps its tombstones, answers destroyed again.
 */
const MAX_DESTROYED = 200_000;

/**
 * The data keys a worker decrypts with, asked of the key store once and kept: every event of an account needs
 * its key, and the store is another process (in the distributed mode, another service).
 *
 * Only answers are kept. `KeyUnknown` and `KeyStoreUnavailable` reach the caller and are asked again next time:
 * they mean "wait and retry", never "destroyed". Concurrent gets of one account share one lookup.
 */
export class DataKeys {
  readonly #live: LRUCache<string, Buffer>;
  readonly #destroyed = new LRUCache<string, true>({ max: MAX_DESTROYED });

  constructor(lookup: DataKeyLookup, options: DataKeysOptions = {}) {
    this.#live = new LRUCache<string, Buffer>({
      max: options.maxLiveKeys ?? 10_000,
      ttl: options.liveKeyTtlMs ?? 60_000,
      // A clock of its own is read on every get: lru-cache otherwise reuses a reading for a millisecond.
      ...(options.clock ? { perf: { now: options.clock }, ttlResolution: 0 } : {}),
      fetchMethod: async (accountId) => {
        const answer = await lookup(accountId);
        if (answer.state === 'live') return answer.key;
        this.#destroyed.set(accountId, true);
        return undefined;
      },
    });
  }

  async get(accountId: string): Promise<DataKeyState> {
    if (this.#destroyed.has(accountId)) return DESTROYED;
    // A kept key is read with `get` first: `fetch` builds a promise and an abort controller per call, which made
    // the lookup of a cached key cost more than the encryption it served (content's create-a-post profile).
    const kept = this.#live.get(accountId);
    if (kept !== undefined) return { state: 'live', key: kept };
    const key = await this.#live.fetch(accountId);
    return key === undefined ? DESTROYED : { state: 'live', key };
  }

  /**
   * The account's deletion was seen: its live key, if kept, is dropped, and the next get asks the store. A get
   * whose lookup is under way meanwhile rejects rather than keep a key read before the deletion; the caller
   * retries it as any other failed lookup.
   */
  forget(accountId: string): void {
    this.#live.delete(accountId);
  }
}
