import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { DataKeyStore } from './data-key-store.js';
import { generateMasterKey, LocalMasterKey } from './master-key.js';
import { RedisDataKeyStore } from './redis-data-key-store.js';
import { SqliteDataKeyStore } from './sqlite-data-key-store.js';

/**
 * The master key: PERSONAL_DATA_MASTER_KEY (base64 of 32 bytes) when given, as a deployment should (from its
 * secret store, or a KMS behind the MasterKey port); otherwise `personal-data.master-key` under `dataDir`, made
 * on first start (owner-only), so that the embedded mode runs with Node alone, as its signing key does. Kept
 * beside the data keys, it protects nothing against a copy of DATA_DIR: destroying a data key is what forgets.
 */
export function masterKeyFromEnv(env: NodeJS.ProcessEnv, dataDir: string): LocalMasterKey {
  if (env.PERSONAL_DATA_MASTER_KEY) return LocalMasterKey.fromBase64(env.PERSONAL_DATA_MASTER_KEY);
  const file = join(dataDir, 'personal-data.master-key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${generateMasterKey()}\n`, { flag: 'wx', mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return LocalMasterKey.fromBase64(readFileSync(file, 'utf8'), file);
}

/**
 * The data key store identity owns: a Redis of its own at PERSONAL_DATA_KEYS_REDIS_URL (persisting by AOF only,
 * see RedisDataKeyStore), which every replica of identity shares; otherwise `keys.sqlite` under `dataDir` (the
 * embedded mode, and an identity that runs as one process beside its event store file).
 */
export function personalDataKeysFromEnv(env: NodeJS.ProcessEnv, dataDir: string): DataKeyStore {
  const masterKey = masterKeyFromEnv(env, dataDir);
  if (env.PERSONAL_DATA_KEYS_REDIS_URL) {
    const redis = new Redis(env.PERSONAL_DATA_KEYS_REDIS_URL, {
      // An outage answers KeyStoreUnavailable soon (a signup or a deletion fails and is retried), never hangs.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
    });
    return new RedisDataKeyStore({ redis, masterKey });
  }
  return new SqliteDataKeyStore({ path: join(dataDir, 'keys.sqlite'), masterKey });
}

/** Keys in this process's memory, gone with it: for tests and tools that keep no log either. */
export function inMemoryDataKeys(): DataKeyStore {
  return new SqliteDataKeyStore({
    path: ':memory:',
    masterKey: LocalMasterKey.fromBase64(generateMasterKey(), 'a generated master key'),
  });
}
