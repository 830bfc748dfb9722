import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decryptField,
  encryptField,
  type FieldContext,
  FieldDecryptionFailed,
  isEncryptedField,
} from './field-cipher.js';

const key = randomBytes(32);
const context: FieldContext = { accountId: 'account-1', eventType: 'UserRegistered', field: 'email' };

describe('field cipher', () => {
  it.each([
    ['ascii', 'ada@example.com'],
    ['the empty string', ''],
    ['accents and other scripts', 'Zoë Ødegård, 東京, Ελληνικά'],
    ['emoji, astral and joined', '📸 sunset 👩‍👩‍👧 🏳️‍🌈'],
    ['a long caption', 'x'.repeat(10_000)],
    ['something that looks like a ciphertext', 'pd1.AAAA'],
  ])('gives back %s as it was encrypted', (_, plaintext) => {
    const value = encryptField(key, context, plaintext);
    expect(isEncryptedField(value)).toBe(true);
    expect(decryptField(key, context, value)).toBe(plaintext);
  });

  it.each<[string, FieldContext]>([
    ['another account', { ...context, accountId: 'account-2' }],
    ['another event type', { ...context, eventType: 'ProfileUpdated' }],
    ['another field', { ...context, field: 'phone' }],
    // The parts are encoded apart: moving characters from one part to its neighbour is another context.
    [
      'the same characters split differently',
      { accountId: 'account-1U', eventType: 'serRegistered', field: 'email' },
    ],
    ['event type and field swapped', { ...context, eventType: 'email', field: 'UserRegistered' }],
  ])('refuses a value moved to %s', (_, elsewhere) => {
    const value = encryptField(key, context, 'ada@example.com');
    expect(() => decryptField(key, elsewhere, value)).toThrow(FieldDecryptionFailed);
  });

  it('refuses a value under another key', () => {
    const value = encryptField(key, context, 'ada@example.com');
    expect(() => decryptField(randomBytes(32), context, value)).toThrow(FieldDecryptionFailed);
  });

  it('refuses a value with any one byte changed: iv, ciphertext or tag', () => {
    const value = encryptField(key, context, 'ada@example.com');
    const body = Buffer.from(value.slice('pd1.'.length), 'base64url');
    for (let i = 0; i < body.length; i++) {
      const tampered = Buffer.from(body);
      tampered[i] = (tampered[i] ?? 0) ^ 0x01;
      expect(() => decryptField(key, context, `pd1.${tampered.toString('base64url')}`), `byte ${i}`).toThrow(
        FieldDecryptionFailed,
      );
    }
  });

  it.each([
    ['a truncated value', (value: string) => value.slice(0, -4)],
    ['a plaintext', () => 'ada@example.com'],
    ['the prefix alone', () => 'pd1.'],
    ['characters outside base64url', (value: string) => `${value.slice(0, -1)}=`],
  ])('refuses %s with its own error', (_, damage) => {
    const value = damage(encryptField(key, context, 'ada@example.com'));
    expect(() => decryptField(key, context, value)).toThrow(FieldDecryptionFailed);
  });

  it('never uses an IV twice, across the refills of its pool of random bytes', () => {
    const ivs = Array.from({ length: 2_000 }, () =>
      Buffer.from(encryptField(key, context, 'same').slice('pd1.'.length), 'base64url')
        .subarray(0, 12)
        .toString('hex'),
    );
    expect(new Set(ivs).size).toBe(2_000);
  });

  it.each([
    ['a plaintext', 'ada@example.com', false],
    ['the prefix alone', 'pd1.', false],
    ['another format', 'pd2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', false],
    ['a padded body', 'pd1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==', false],
    ['an IV and a tag around an empty plaintext', 'pd1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', true],
  ])('recognises the stored form: %s', (_, value, encrypted) => {
    expect(isEncryptedField(value)).toBe(encrypted);
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => encryptField(randomBytes(16), context, 'x')).toThrow(/32 bytes, not 16/);
  });
});
