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
/** A lookup under way: `forgotten` once the account's deletion was seen while it ran. */
interface Lookup {
  promise: Promise<DataKeyState>;
  forgotten: boolean;
}

export class DataKeys {
  readonly #lookup: DataKeyLookup;
  readonly #live: LRUCache<string, Buffer>;
  /**
   * Made at the first destroyed key: lru-cache allocates its arrays for `max` entries up front, some 20 ms for
   * 200,000, which a rebuild's start (and a process that never meets a deleted account) need not spend.
   */
  #destroyed: LRUCache<string, true> | undefined;
  /** one lookup per account at a time, shared by the gets that arrive while it runs */
  readonly #inFlight = new Map<string, Lookup>();

  constructor(lookup: DataKeyLookup, options: DataKeysOptions = {}) {
    this.#lookup = lookup;
    this.#live = new LRUCache<string, Buffer>({
      max: options.maxLiveKeys ?? 10_000,
      ttl: options.liveKeyTtlMs ?? 60_000,
      // A clock of its own is read on every get: lru-cache otherwise reuses a reading for a millisecond.
      ...(options.clock ? { perf: { now: options.clock }, ttlResolution: 0 } : {}),
    });
  }

  /**
   * A kept key is answered from memory; a miss is looked up once however many ask meanwhile. Not lru-cache's
   * `fetch`: its promise and abort controller per call cost more than the lookup of a kept key, and per miss more
   * than the lookup itself (content's create-a-post profile).
   */
  get(accountId: string): Promise<DataKeyState> {
    const kept = this.kept(accountId);
    if (kept !== undefined) return Promise.resolve(kept);
    const running = this.#inFlight.get(accountId);
    if (running) return running.promise;
    const lookup: Lookup = { promise: Promise.resolve(DESTROYED), forgotten: false };
    lookup.promise = this.#ask(accountId, lookup);
    this.#inFlight.set(accountId, lookup);
    return lookup.promise;
  }

  /**
   * The answer `get` would give from memory, without asking the store: a key kept and still within its time to
   * live, or a destroyed one; undefined when only the store can say. Synchronous, for a writer or reader that
   * handles many fields of accounts whose keys it already holds and can spare their promises.
   */
  kept(accountId: string): DataKeyState | undefined {
    if (this.#destroyed?.has(accountId)) return DESTROYED;
    const key = this.#live.get(accountId);
    return key === undefined ? undefined : { state: 'live', key };
  }

  /**
   * The account's deletion was seen: its live key, if kept, is dropped, and the next get asks the store. A get
   * whose lookup is under way meanwhile rejects rather than keep a key read before the deletion; the caller
   * retries it as any other failed lookup.
   */
  forget(accountId: string): void {
    this.#live.delete(accountId);
    const running = this.#inFlight.get(accountId);
    if (running) {
      running.forgotten = true;
      this.#inFlight.delete(accountId);
    }
  }

  async #ask(accountId: string, lookup: Lookup): Promise<DataKeyState> {
    let answer: DataKeyState;
    try {
      answer = await this.#lookup(accountId);
    } finally {
      if (this.#inFlight.get(accountId) === lookup) this.#inFlight.delete(accountId);
    }
    if (lookup.forgotten) {
      throw new Error(`the data key of account ${accountId} was forgotten while it was looked up: ask again`);
    }
    if (answer.state === 'destroyed') {
      this.#destroyed ??= new LRUCache<string, true>({ max: MAX_DESTROYED });
      this.#destroyed.set(accountId, true);
      return DESTROYED;
    }
    this.#live.set(accountId, answer.key);
    return answer;
  }
}
