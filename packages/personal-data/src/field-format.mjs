// The stored form of an encrypted personal field, `pd1.<base64url(iv | ciphertext | tag)>` under AES-256-GCM with
// the field's context as associated data (see field-cipher.ts, which says why). Written here once, in plain
// JavaScript, so that the decryption thread (decryption/worker.mjs) loads it without a TypeScript loader: that
// thread starts in about 30 ms, against some 200 ms spent registering tsx, during which a rebuild decrypts its
// pages in line. Its types: field-format.d.mts.
import { createCipheriv, createDecipheriv } from 'node:crypto';

export const FORMAT = 'pd1';
export const PREFIX = `${FORMAT}.`;
const ALGORITHM = 'aes-256-gcm';
// 96-bit random IVs, GCM's native size: with a fresh random IV per value, one key stays within NIST's bound
// (2^32 encryptions) for any account's lifetime of fields.
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The associated data of a field: its context as a JSON array, where ("a", "bc") and ("ab", "c") differ. */
export function associatedData(accountId, eventType, field) {
  return Buffer.from(JSON.stringify([FORMAT, accountId, eventType, field]), 'utf8');
}

/** `plaintext` encrypted under `key` with `iv` (copied into the value) and `aad`, in the stored form. */
export function sealField(key, aad, iv, plaintext) {
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return PREFIX + body.toString('base64url');
}

/**
 * The plaintext of a stored `value` sealed under `key` with `aad`. Throws if it was not: GCM's tag fails for a
 * wrong key, another context or a damaged value, whatever its characters (base64url decoding skips the others).
 */
export function openField(key, aad, value) {
  const body = Buffer.from(value.slice(PREFIX.length), 'base64url');
  if (body.length < IV_BYTES + TAG_BYTES) throw new RangeError('too short for an encrypted field');
  const decipher = createDecipheriv(ALGORITHM, key, body.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  const text = decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES)).toString('utf8');
  decipher.final();
  return text;
}

/**
 * Whether `value` has the stored form. Only the form: a plaintext written before encryption that happens to look
 * like one (`pd1.` and at least 38 base64url characters) is taken for a ciphertext, and fails to decrypt.
 */
export function hasFieldFormat(value) {
  if (!value.startsWith(PREFIX)) return false;
  const body = value.slice(PREFIX.length);
  return BASE64URL.test(body) && Buffer.byteLength(body, 'base64url') >= IV_BYTES + TAG_BYTES;
}
