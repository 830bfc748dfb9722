/**
 * The behaviour every DataKeyStore adapter must show, as one vitest suite run against each real store, and the
 * tools its tests use to look for a destroyed key in a store's files. Every test uses fresh account ids, so a
 * store shared with other tests is fine.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AccountKeyDestroyed, type DataKeyStore, KeyUnknown } from './data-key-store.js';
import type { MasterKey } from './master-key.js';

/** `reopen` gives a second store on the same data, as another process (or a restart) would have. */
export function describeDataKeyStoreContract(
  name: string,
  stores: () => Promise<{ store: DataKeyStore; reopen: () => Promise<DataKeyStore> }>,
): void {
  describe(`data key store contract: ${name}`, () => {
    const account = () => `account-${randomUUID()}`;

    it('creates a 32-byte key that get answers as live, also from another instance on the same data', async () => {
      const { store, reopen } = await stores();
      const accountId = account();
      const key = await store.create(accountId);
      expect(key).toHaveLength(32);
      expect(await store.get(accountId)).toEqual({ state: 'live', key });
      expect(await (await reopen()).get(accountId)).toEqual({ state: 'live', key });
    });

    it('create is idempotent: a second call, or concurrent calls from two instances, agree on one key', async () => {
      const { store, reopen } = await stores();
      const other = await reopen();
      const accountId = account();
      const keys = await Promise.all([
        store.create(accountId),
        other.create(accountId),
        store.create(accountId),
      ]);
      expect(keys[1]).toEqual(keys[0]);
      expect(keys[2]).toEqual(keys[0]);
      expect(await store.create(accountId)).toEqual(keys[0]);
    });

    it('gives each account its own key', async () => {
      const { store } = await stores();
      expect(await store.create(account())).not.toEqual(await store.create(account()));
    });

    it('get of an account that never had a key throws KeyUnknown, not destroyed', async () => {
      const { store } = await stores();
      const accountId = account();
      await expect(store.get(accountId)).rejects.toThrow(KeyUnknown);
    });

    it('a destroyed key reads as destroyed, from every instance, and create refuses to replace it', async () => {
      const { store, reopen } = await stores();
      const accountId = account();
      await store.create(accountId);
      await store.destroy(accountId);
      expect(await store.get(accountId)).toEqual({ state: 'destroyed' });
      const other = await reopen();
      expect(await other.get(accountId)).toEqual({ state: 'destroyed' });
      await expect(other.create(accountId)).rejects.toThrow(AccountKeyDestroyed);
    });

    it('destroy is idempotent, and leaves the other accounts keys alone', async () => {
      const { store } = await stores();
      const [gone, kept] = [account(), account()];
      await store.create(gone);
      const key = await store.create(kept);
      await store.destroy(gone);
      await store.destroy(gone);
      expect(await store.get(gone)).toEqual({ state: 'destroyed' });
      expect(await store.get(kept)).toEqual({ state: 'live', key });
    });

    it('destroying an account that never had a key leaves a tombstone: no key can be created for it later', async () => {
      const { store } = await stores();
      const accountId = account();
      await store.destroy(accountId);
      expect(await store.get(accountId)).toEqual({ state: 'destroyed' });
      await expect(store.create(accountId)).rejects.toThrow(AccountKeyDestroyed);
    });
  });
}

/**
 * Whether any 8-byte run of `secret` occurs in one of `files`. Not only the whole of it: SQLite writes a shorter
 * record over part of a freed one and leaves the rest of the old bytes in place. 8 random bytes do not occur in a
 * few kilobytes by chance.
 */
export function holdsPartOf(files: readonly Buffer[], secret: Buffer): boolean {
  const run = 8;
  for (let start = 0; start + run <= secret.length; start++) {
    const part = secret.subarray(start, start + run);
    if (files.some((content) => content.includes(part))) return true;
  }
  return false;
}

/** `master`, remembering every wrapped key it handed out, so a test can look for those bytes in a store's files. */
export function recordingMasterKey(master: MasterKey): MasterKey & { wrapped: Map<string, Buffer> } {
  const wrapped = new Map<string, Buffer>();
  return {
    wrapped,
    async wrap(accountId, dataKey) {
      const result = await master.wrap(accountId, dataKey);
      wrapped.set(accountId, result);
      return result;
    },
    unwrap: (accountId, bytes) => master.unwrap(accountId, bytes),
  };
}
