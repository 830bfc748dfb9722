import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeDataKeyStoreContract, holdsPartOf, recordingMasterKey } from './data-key-store.contract.js';
import { generateMasterKey, LocalMasterKey, type MasterKey } from './master-key.js';
import { SqliteDataKeyStore } from './sqlite-data-key-store.js';

const tempRoot = mkdtempSync(join(tmpdir(), 'gram-data-keys-'));
const freshPath = () => join(tempRoot, randomUUID(), 'keys.sqlite');
const masterKey = LocalMasterKey.fromBase64(generateMasterKey());
const opened: SqliteDataKeyStore[] = [];

function open(path: string, master: MasterKey = masterKey): SqliteDataKeyStore {
  const store = new SqliteDataKeyStore({ path, masterKey: master });
  opened.push(store);
  return store;
}

afterAll(() => {
  for (const store of opened) store.close();
  rmSync(tempRoot, { recursive: true, force: true });
});

describeDataKeyStoreContract('SQLite', async () => {
  const path = freshPath();
  return { store: open(path), reopen: async () => open(path) };
});

describe('SQLite data key store, on disk', () => {
  it('a destroyed key leaves no bytes, wrapped or not, in the database file, its WAL or its shared memory', async () => {
    const path = freshPath();
    const master = recordingMasterKey(masterKey);
    const keys = new Map<string, Buffer>();
    const createKeys = async (store: SqliteDataKeyStore, count: number) => {
      for (let i = 0; i < count; i++) {
        const accountId = `account-${randomUUID()}`;
        keys.set(accountId, await store.create(accountId));
      }
    };
    // Closing the first store checkpoints its keys into the main file; the second store's keys are only in its WAL.
    const first = open(path, master);
    await createKeys(first, 4);
    first.close();
    const store = open(path, master);
    await createKeys(store, 4);
    const accounts = [...keys.keys()];
    const destroyed = [accounts[1], accounts[6]] as string[];

    for (const accountId of destroyed) await store.destroy(accountId);

    const files = [path, `${path}-wal`, `${path}-shm`].filter(existsSync).map((file) => readFileSync(file));
    for (const accountId of accounts) {
      const kept = !destroyed.includes(accountId);
      expect(holdsPartOf(files, master.wrapped.get(accountId) as Buffer), `wrapped key of ${accountId}`).toBe(
        kept,
      );
      expect(holdsPartOf(files, keys.get(accountId) as Buffer), `plain key of ${accountId}`).toBe(false);
    }
  });
});
