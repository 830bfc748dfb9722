/**
 * Where the answers to requests sent with an `Idempotency-Key` are kept (idempotency.ts): the SQLite
 * adapter in the embedded mode, the Redis one in the distributed mode, both run through one contract
 * suite (store.contract.ts).
 *
 * A key goes through two states. First a claim, held by the one request that got it (its `owner`) for a
 * short lease: while it holds it, repeats are told the first request is still in progress. Then, once that
 * request has its final answer, the answer itself, kept for a day. The lease is what frees a key whose
 * request never finished (its process died): a repeat after the lease starts afresh.
 */
export interface IdempotencyStore {
  /**
   * Claims `key` for `owner` for `leaseMs` when nothing is stored under it (undefined then), atomically
   * across every process sharing the store: of concurrent claims of one key, exactly one wins. Otherwise
   * what is stored: the claim of another request, or a final answer.
   */
  claim(key: string, owner: string, leaseMs: number): Promise<StoredRequest | undefined>;
  /** Replaces `owner`'s claim of `key` by the final answer, kept `ttlMs`; nothing when the claim is not its own. */
  complete(key: string, owner: string, answer: FinalAnswer, ttlMs: number): Promise<void>;
  /** Drops `owner`'s claim of `key` (its answer was not final: the client may try again); nothing when not its own. */
  release(key: string, owner: string): Promise<void>;
  close(): Promise<void>;
}

export type StoredRequest = { state: 'in-progress' } | ({ state: 'done' } & FinalAnswer);

/** The first request's answer, and what identifies that request (its method, path and body). */
export interface FinalAnswer {
  fingerprint: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}
