/**
 * The data keys of accounts: one 32-byte key per account, encrypting that account's personal fields, kept apart
 * from the event store and the topics and stored wrapped by a `MasterKey`. Destroying a key is what deletes the
 * account's personal data everywhere it was copied (the log, the topics, their backups).
 *
 * Three answers must never be confused: a live key, a destroyed key (the data is gone for good: a reader drops
 * it), and no answer (the store is down, or the key was not created yet because its creation has not reached
 * this reader). A reader that took "no answer" for "destroyed" would write placeholders over data that is still
 * there, so the last two are errors that mean "wait and retry".
 */
import { randomBytes } from 'node:crypto';
import { DATA_KEY_BYTES } from './field-cipher.js';

export type DataKeyState = { readonly state: 'live'; readonly key: Buffer } | { readonly state: 'destroyed' };

export interface DataKeyStore {
  /**
   * The account's key, created on first call. Idempotent: an existing live key is returned, and concurrent
   * calls, from any process sharing the store, agree on one key. Throws `AccountKeyDestroyed` once the
   * account's key was destroyed: a deleted account gets no new key.
   */
  create(accountId: string): Promise<Buffer>;
  /** Throws `KeyUnknown` when the account never had a key, `KeyStoreUnavailable` when the store cannot answer. */
  get(accountId: string): Promise<DataKeyState>;
  /**
   * Replaces the key with a tombstone that holds no key material (also for an account that never had a key,
   * so none can be created later). Resolves only once the key's bytes are gone from the store's files.
   * Idempotent: a destroy that failed half-way is completed by calling it again.
   */
  destroy(accountId: string): Promise<void>;
}

/**
 * The account's key was destroyed: its personal data is gone for good. A write of the account met with it (one
 * that raced its deletion past the token check) answers 401, as any request of a deleted account does.
 */
export class AccountKeyDestroyed extends Error {
  override readonly name = 'AccountKeyDestroyed';
  readonly statusCode = 401;
  constructor(readonly accountId: string) {
    super(`the data key of account ${accountId} was destroyed`);
  }
}

/**
 * The account has no key (yet): not a destroyed one. Wait and retry. A request meeting it answers 503 (an error's
 * `statusCode`, which service-kit's error handler answers as an outage to retry), never a 500.
 */
export class KeyUnknown extends Error {
  override readonly name = 'KeyUnknown';
  readonly statusCode = 503;
  constructor(readonly accountId: string) {
    super(`account ${accountId} has no data key`);
  }
}

/** The store could not answer: not a destroyed key. Wait and retry (a request meeting it answers 503). */
export class KeyStoreUnavailable extends Error {
  override readonly name = 'KeyStoreUnavailable';
  readonly statusCode = 503;
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

/**
 * Whether `error`, or an error it was caused by, says that a data key cannot be had now (KeyStoreUnavailable,
 * KeyUnknown): an outage to wait out, never a deletion. A consumer that meets one retries the message, however
 * long, rather than dead-letter it or apply it without its personal fields.
 */
export function isKeyOutage(error: unknown): boolean {
  let current = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++, current = current.cause) {
    if (current instanceof KeyStoreUnavailable || current instanceof KeyUnknown) return true;
  }
  return false;
}

export function newDataKey(): Buffer {
  return randomBytes(DATA_KEY_BYTES);
}
