import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateMasterKey, LocalMasterKey } from './master-key.js';

const key = generateMasterKey();

describe('local master key', () => {
  it('unwraps what it wrapped for the same account', async () => {
    const master = LocalMasterKey.fromBase64(generateMasterKey());
    const dataKey = randomBytes(32);
    const wrapped = await master.wrap('account-1', dataKey);
    expect(wrapped.includes(dataKey)).toBe(false);
    expect(await master.unwrap('account-1', wrapped)).toEqual(dataKey);
  });

  it.each([
    [
      'for another account',
      async (wrapped: Buffer) => LocalMasterKey.fromBase64(key).unwrap('account-2', wrapped),
    ],
    [
      'with another master key',
      async (wrapped: Buffer) => LocalMasterKey.fromBase64(generateMasterKey()).unwrap('account-1', wrapped),
    ],
    [
      'once damaged',
      async (wrapped: Buffer) => {
        const damaged = Buffer.from(wrapped);
        damaged[20] = (damaged[20] ?? 0) ^ 0x01;
        return LocalMasterKey.fromBase64(key).unwrap('account-1', damaged);
      },
    ],
  ])('refuses to unwrap a wrapped key %s', async (_, unwrap) => {
    const wrapped = await LocalMasterKey.fromBase64(key).wrap('account-1', randomBytes(32));
    await expect(unwrap(wrapped)).rejects.toThrow(/account-\d does not unwrap with this master key/);
  });

  it.each([
    ['missing', undefined, /PERSONAL_DATA_MASTER_KEY must be a 32-byte key in base64.*it is not set/],
    ['empty', '', /it is not set/],
    ['16 bytes', randomBytes(16).toString('base64'), /it has 24 characters/],
    ['33 bytes', randomBytes(33).toString('base64'), /it has 44 characters/],
    ['not base64', `${'!'.repeat(43)}=`, /must be a 32-byte key in base64/],
    ['base64url', Buffer.alloc(32, 0xff).toString('base64url'), /it has 43 characters/],
  ])('refuses a configured key that is %s, without repeating it', (_, value, message) => {
    const error = (() => {
      try {
        LocalMasterKey.fromBase64(value);
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error?.message).toMatch(message);
    if (value) expect(error?.message).not.toContain(value);
  });

  it('accepts a generated key with the line end of an env file', () => {
    expect(() => LocalMasterKey.fromBase64(`${generateMasterKey()}\n`)).not.toThrow();
  });
});
