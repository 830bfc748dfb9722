import { describe, expect, it } from 'vitest';
import { PasswordHasher } from './password-hasher.js';

// Small parameters keep this file fast; the format and the checks are the same as in production.
const hasher = new PasswordHasher({ N: 2 ** 10, r: 8, p: 1 });

describe('password hashing', () => {
  it('stores a self-describing scrypt string that never contains the password', async () => {
    const encoded = await hasher.hash('correct horse battery');
    expect(encoded).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(encoded).not.toContain('correct');
  });

  it('salts every hash, so equal passwords give different strings', async () => {
    expect(await hasher.hash('same password')).not.toBe(await hasher.hash('same password'));
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const encoded = await hasher.hash('correct horse battery');
    expect(await hasher.verify('correct horse battery', encoded)).toBe(true);
    expect(await hasher.verify('Correct horse battery', encoded)).toBe(false);
  });

  it('verifies with the parameters stored in the hash, so raising them later keeps old hashes valid', async () => {
    const old = await new PasswordHasher({ N: 2 ** 9, r: 8, p: 1 }).hash('long lived');
    expect(await hasher.verify('long lived', old)).toBe(true);
  });

  it('refuses a malformed stored hash instead of throwing', async () => {
    expect(await hasher.verify('x', 'plain-text')).toBe(false);
    expect(await hasher.verify('x', 'scrypt$a$b$c$d$e')).toBe(false);
  });

  it('answers false against the dummy hash', async () => {
    expect(await hasher.verifyAgainstDummy('anything at all')).toBe(false);
  });
});
