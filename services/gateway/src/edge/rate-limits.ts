import { Redis } from 'ioredis';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';

export interface RateLimitSettings {
  /** writes (POST, PUT, PATCH, DELETE under /api/v1, auth/* aside) of one authenticated user per minute */
  writesPerUserPerMinute: number;
}

export const defaultRateLimits: RateLimitSettings = {
  writesPerUserPerMinute: 300,
};

const writeWindowSeconds = 60;

/** WRITES_PER_USER_PER_MINUTE; the default above otherwise. */
export function rateLimitsFromEnv(env: Record<string, string | undefined>): RateLimitSettings {
  const raw = env.WRITES_PER_USER_PER_MINUTE;
  if (raw === undefined || raw === '') return defaultRateLimits;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error('WRITES_PER_USER_PER_MINUTE must be a positive integer');
  }
  return { writesPerUserPerMinute: value };
}

/**
 * The gateway's Redis client, as RateLimits.inRedis wants it. No offline queue: while Redis is unreachable a
 * command fails at once, the rate limits count in memory for the while, and no request waits on Redis.
 * Auto-pipelined: the counts of the writes read in one turn of the event loop go out in one socket write, not
 * in one each (at 600 writes/s through the distributed system, the counting was a twentieth of the gateway's
 * CPU, most of it those writes). Each count is still a script of its own, run alone by Redis: a pipeline
 * changes when commands are sent, not what each does.
 */
export function rateLimitsRedis(url: string): Redis {
  return new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, enableAutoPipelining: true });
}

/** How long a refused caller must wait, in whole seconds (the `Retry-After` value). */
export type RetryAfterSeconds = number;

/**
 * The gateway's counter of writes per user, a fixed window that starts at its first count
 * (rate-limiter-flexible). In the distributed mode it lives in Redis, shared by every gateway replica;
 * a Redis outage falls back to per-process counters (the library's insurance limiter) rather than
 * refusing every write. In the embedded mode it lives in memory. Logins and signups are limited by
 * identity (services/identity/src/limits), which knows the account a login names.
 */
export class RateLimits {
  private constructor(private readonly perUserWrites: RateLimiterAbstract) {}

  static inMemory(settings: RateLimitSettings = defaultRateLimits): RateLimits {
    return new RateLimits(new RateLimiterMemory(writeOptions(settings)));
  }

  /**
   * Counters in Redis. Build the client with rateLimitsRedis (`enableOfflineQueue: false`): while it is
   * disconnected a command then fails at once and the in-memory insurance answers, instead of a request hanging.
   */
  static inRedis(redis: Redis, settings: RateLimitSettings = defaultRateLimits, prefix = 'gram'): RateLimits {
    const options = writeOptions(settings);
    return new RateLimits(
      new RateLimiterRedis({
        ...options,
        keyPrefix: `${prefix}:${options.keyPrefix}`,
        storeClient: redis,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory(options),
      }),
    );
  }

  /** Counts one write of `userId`; undefined when it is within the limit. */
  async write(userId: string): Promise<RetryAfterSeconds | undefined> {
    try {
      await this.perUserWrites.consume(userId);
      return undefined;
    } catch (error) {
      if (error instanceof RateLimiterRes) return Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      throw error;
    }
  }
}

const writeOptions = (s: RateLimitSettings) => ({
  keyPrefix: 'writes:user',
  points: s.writesPerUserPerMinute,
  duration: writeWindowSeconds,
});
