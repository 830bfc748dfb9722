/**
 * One personal field of an event, encrypted under the data key of the account it belongs to (AES-256-GCM).
 *
 * The field's context (account, event type, field name) is the associated data: GCM authenticates it without
 * storing it, so a ciphertext copied into another account's event, another event type or another field fails to
 * decrypt instead of passing for that field's value. The context is encoded as a JSON array, where
 * ("a", "bc") and ("ab", "c") cannot collide.
 *
 * The stored form is a string, `pd1.<base64url(iv | ciphertext | tag)>`, so an event's schema keeps a string where
 * it had one, and a reader tells an encrypted value from a plaintext one written before encryption existed. `pd1`
 * names this format (the algorithm, the layout and the encoding of the context): a later one gets a prefix of its
 * own, and both can be read side by side. The format is written down once, in field-format.mjs, which the
 * decryption thread loads as it is.
 */
import { randomFillSync } from 'node:crypto';
import { associatedData, hasFieldFormat, IV_BYTES, openField, sealField } from './field-format.mjs';

/** Where a field lives: bound to its ciphertext as associated data. */
export interface FieldContext {
  readonly accountId: string;
  readonly eventType: string;
  readonly field: string;
}

/** The field could not be decrypted: a wrong key, another context, a damaged value, or not this format at all. */
export class FieldDecryptionFailed extends Error {
  override readonly name = 'FieldDecryptionFailed';
  constructor(
    readonly context: FieldContext,
    cause?: unknown,
  ) {
    super(
      `the field ${context.field} of a ${context.eventType} of account ${context.accountId} cannot be decrypted`,
      { cause },
    );
  }
}

export const DATA_KEY_BYTES = 32;

/**
 * IVs are cut from a pool of CSPRNG bytes refilled 4 KiB at a time, each byte used once: one call into OpenSSL per
 * 341 IVs rather than one per field (Node's own randomUUID pools its random bytes the same way).
 */
const IV_POOL_BYTES = IV_BYTES * 341;
const ivPool = Buffer.allocUnsafeSlow(IV_POOL_BYTES);
let ivOffset = IV_POOL_BYTES;

/** A view of the pool: encryptField copies it into the stored value before the pool is refilled. */
function nextIv(): Buffer {
  if (ivOffset === IV_POOL_BYTES) {
    randomFillSync(ivPool);
    ivOffset = 0;
  }
  const iv = ivPool.subarray(ivOffset, ivOffset + IV_BYTES);
  ivOffset += IV_BYTES;
  return iv;
}

export function encryptField(key: Buffer, context: FieldContext, plaintext: string): string {
  return sealField(checkedKey(key), contextData(context), nextIv(), plaintext);
}

/** Throws `FieldDecryptionFailed` unless `value` was encrypted by `encryptField` with this key and context. */
export function decryptField(key: Buffer, context: FieldContext, value: string): string {
  if (!isEncryptedField(value)) throw new FieldDecryptionFailed(context);
  checkedKey(key);
  try {
    return openField(key, contextData(context), value);
  } catch (error) {
    throw new FieldDecryptionFailed(context, error);
  }
}

/** Whether `value` has the form `encryptField` writes (only the form: see hasFieldFormat). */
export const isEncryptedField: (value: string) => boolean = hasFieldFormat;

function contextData({ accountId, eventType, field }: FieldContext): Buffer {
  return associatedData(accountId, eventType, field);
}

function checkedKey(key: Buffer): Buffer {
  if (key.length !== DATA_KEY_BYTES) {
    throw new RangeError(`a data key has ${DATA_KEY_BYTES} bytes, not ${key.length}`);
  }
  return key;
}
