import { join } from 'node:path';
import { Redis } from 'ioredis';
import { redisIdempotencyStore } from './redis-store.js';
import { openSqliteIdempotencyStore } from './sqlite-store.js';
import type { IdempotencyStore } from './store.js';

/**
 * The idempotency store a service's environment asks for: with `REDIS_URL`, Redis, shared by every replica of
 * every service taking creating requests (distributed mode); without it, `idempotency.sqlite` under `DATA_DIR`
 * (default `./data`), beside the SQLite event store, for the one process using that directory. Either way the
 * stored answers outlive a restart. A Redis that does not answer fails a request with a key at once (503).
 */
export function openIdempotencyStoreFromEnv(
  env: Record<string, string | undefined>,
): IdempotencyStore & { location: 'redis' | string } {
  const url = env.REDIS_URL;
  if (url) {
    const redis = new Redis(url, { maxRetriesPerRequest: 1 });
    // A command failing meanwhile is answered 503 and logged by the request that sent it.
    redis.on('error', () => {});
    return {
      ...redisIdempotencyStore(redis),
      location: 'redis',
      async close() {
        await redis.quit();
      },
    };
  }
  const path = join(env.DATA_DIR || './data', 'idempotency.sqlite');
  return { ...openSqliteIdempotencyStore({ path }), location: path };
}
