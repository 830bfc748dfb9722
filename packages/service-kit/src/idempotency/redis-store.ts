import type { Redis } from 'ioredis';
import type { FinalAnswer, IdempotencyStore, StoredRequest } from './store.js';

/** `SET` the answer over the claim only while the claim is still this owner's (its lease may have run out). */
const completeScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return nil`;

/** `DEL` the claim only while it is still this owner's: once its lease ran out, it may be another request's. */
const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

const claimPrefix = 'claim:';

/**
 * The distributed mode's idempotency store: one Redis key per idempotency key, shared by every replica. A claim
 * is `SET NX PX <lease>` holding `claim:<owner>`, so of concurrent claims exactly one wins, and a claim whose
 * request died frees itself; the final answer replaces it (as JSON) with the answers' expiry, through a script
 * that first checks the claim is still the completing request's own.
 */
export function redisIdempotencyStore(redis: Redis, options: { prefix?: string } = {}): IdempotencyStore {
  const prefix = options.prefix ?? 'idempotency:';
  return {
    async claim(key, owner, leaseMs) {
      // A stored value can expire between the failed SET NX and the GET: then the claim is tried again.
      for (;;) {
        const claimed = await redis.set(prefix + key, claimPrefix + owner, 'PX', leaseMs, 'NX');
        if (claimed === 'OK') return undefined;
        const stored = await redis.get(prefix + key);
        if (stored === null) continue;
        if (stored.startsWith(claimPrefix)) return { state: 'in-progress' } satisfies StoredRequest;
        return { state: 'done', ...(JSON.parse(stored) as FinalAnswer) };
      }
    },
    async complete(key, owner, answer, ttlMs) {
      await redis.eval(completeScript, 1, prefix + key, claimPrefix + owner, JSON.stringify(answer), ttlMs);
    },
    async release(key, owner) {
      await redis.eval(releaseScript, 1, prefix + key, claimPrefix + owner);
    },
    async close() {},
  };
}
