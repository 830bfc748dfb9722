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
 * own, and both can be read side by side.
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';

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
const FORMAT = 'pd1';
const PREFIX = `${FORMAT}.`;
const ALGORITHM = 'aes-256-gcm';
// 96-bit random IVs, GCM's native size: with a fresh random IV per value, one key stays within NIST's bound
// (2^32 encryptions) for any account's lifetime of fields.
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

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
  const iv = nextIv();
  const cipher = createCipheriv(ALGORITHM, checkedKey(key), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(context));
  const body = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return PREFIX + body.toString('base64url');
}

/** Throws `FieldDecryptionFailed` unless `value` was encrypted by `encryptField` with this key and context. */
export function decryptField(key: Buffer, context: FieldContext, value: string): string {
  if (!isEncryptedField(value)) throw new FieldDecryptionFailed(context);
  const body = Buffer.from(value.slice(PREFIX.length), 'base64url');
  const decipher = createDecipheriv(ALGORITHM, checkedKey(key), body.subarray(0, IV_BYTES), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(associatedData(context));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch (error) {
    throw new FieldDecryptionFailed(context, error);
  }
}

/**
 * Whether `value` has the form `encryptField` writes. Only the form: a plaintext written before encryption that
 * happens to look like one (`pd1.` and at least 38 base64url characters) is taken for a ciphertext, and fails
 * to decrypt.
 */
export function isEncryptedField(value: string): boolean {
  if (!value.startsWith(PREFIX)) return false;
  const body = value.slice(PREFIX.length);
  return BASE64URL.test(body) && Buffer.byteLength(body, 'base64url') >= IV_BYTES + TAG_BYTES;
}

function associatedData({ accountId, eventType, field }: FieldContext): Buffer {
  return Buffer.from(JSON.stringify([FORMAT, accountId, eventType, field]), 'utf8');
}

function checkedKey(key: Buffer): Buffer {
  if (key.length !== DATA_KEY_BYTES) {
    throw new RangeError(`a data key has ${DATA_KEY_BYTES} bytes, not ${key.length}`);
  }
  return key;
}
