import type { Redis } from 'ioredis';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';

export interface RateLimitSettings {
  /** failed logins (401) of one login (userName, email or phoneNo, normalized) per 15 minutes */
  loginFailuresPerLogin: number;
  /** failed logins from one IP address per hour */
  loginFailuresPerIp: number;
  /** writes (POST, PUT, PATCH, DELETE under /api/v1, auth/* aside) of one authenticated user per minute */
  writesPerUserPerMinute: number;
}

export const defaultRateLimits: RateLimitSettings = {
  loginFailuresPerLogin: 5,
  loginFailuresPerIp: 50,
  writesPerUserPerMinute: 300,
};

const loginWindowSeconds = 15 * 60;
const ipWindowSeconds = 60 * 60;
const writeWindowSeconds = 60;

/** LOGIN_FAILURES_PER_LOGIN, LOGIN_FAILURES_PER_IP, WRITES_PER_USER_PER_MINUTE; the defaults above otherwise. */
export function rateLimitsFromEnv(env: Record<string, string | undefined>): RateLimitSettings {
  const positive = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
    return value;
  };
  return {
    loginFailuresPerLogin: positive('LOGIN_FAILURES_PER_LOGIN', defaultRateLimits.loginFailuresPerLogin),
    loginFailuresPerIp: positive('LOGIN_FAILURES_PER_IP', defaultRateLimits.loginFailuresPerIp),
    writesPerUserPerMinute: positive('WRITES_PER_USER_PER_MINUTE', defaultRateLimits.writesPerUserPerMinute),
  };
}

/** How long a refused caller must wait, in whole seconds (the `Retry-After` value). */
export type RetryAfterSeconds = number;

const retryAfter = (result: RateLimiterRes): RetryAfterSeconds =>
  Math.max(1, Math.ceil(result.msBeforeNext / 1000));

/**
 * The gateway's counters: failed logins per login and per IP address, writes per user. Each is a
 * fixed window that starts at its first count (rate-limiter-flexible). In the distributed mode they
 * live in Redis, shared by every gateway replica; a Redis outage falls back to per-process counters
 * (the library's insurance limiter) rather than refusing every login and write. In the embedded mode
 * they live in memory.
 */
export class RateLimits {
  private constructor(
    private readonly perLogin: RateLimiterAbstract,
    private readonly perIp: RateLimiterAbstract,
    private readonly perUserWrites: RateLimiterAbstract,
  ) {}

  static inMemory(settings: RateLimitSettings = defaultRateLimits): RateLimits {
    return new RateLimits(
      new RateLimiterMemory(loginOptions(settings)),
      new RateLimiterMemory(ipOptions(settings)),
      new RateLimiterMemory(writeOptions(settings)),
    );
  }

  /**
   * Counters in Redis. Build the client with `enableOfflineQueue: false`: while it is disconnected a
   * command then fails at once and the in-memory insurance answers, instead of a request hanging.
   */
  static inRedis(redis: Redis, settings: RateLimitSettings = defaultRateLimits, prefix = 'gram'): RateLimits {
    const insured = (options: { keyPrefix: string; points: number; duration: number }) =>
      new RateLimiterRedis({
        ...options,
        keyPrefix: `${prefix}:${options.keyPrefix}`,
        storeClient: redis,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory(options),
      });
    return new RateLimits(
      insured(loginOptions(settings)),
      insured(ipOptions(settings)),
      insured(writeOptions(settings)),
    );
  }

  /**
   * Whether a login attempt must be refused without asking identity: its login or its IP address
   * has used up its failures. Undefined when it may go ahead.
   */
  async loginLockout(login: string | undefined, ip: string): Promise<RetryAfterSeconds | undefined> {
    const [byLogin, byIp] = await Promise.all([
      login === undefined ? null : this.perLogin.get(login),
      this.perIp.get(ip),
    ]);
    const waits = [exhausted(byLogin, this.perLogin.points), exhausted(byIp, this.perIp.points)].filter(
      (wait): wait is number => wait !== undefined,
    );
    return waits.length > 0 ? Math.max(...waits) : undefined;
  }

  /** A login answered 401: one more failure for its login and its IP address. */
  async loginFailed(login: string | undefined, ip: string): Promise<void> {
    await Promise.all([login === undefined ? null : this.perLogin.penalty(login), this.perIp.penalty(ip)]);
  }

  /** A login succeeded: its login starts afresh (the IP address keeps its count). */
  async loginSucceeded(login: string | undefined): Promise<void> {
    if (login !== undefined) await this.perLogin.delete(login);
  }

  /** Counts one write of `userId`; undefined when it is within the limit. */
  async write(userId: string): Promise<RetryAfterSeconds | undefined> {
    try {
      await this.perUserWrites.consume(userId);
      return undefined;
    } catch (error) {
      if (error instanceof RateLimiterRes) return retryAfter(error);
      throw error;
    }
  }
}

function exhausted(result: RateLimiterRes | null, points: number): RetryAfterSeconds | undefined {
  return result !== null && result.consumedPoints >= points ? retryAfter(result) : undefined;
}

const loginOptions = (s: RateLimitSettings) => ({
  keyPrefix: 'login-failures:login',
  points: s.loginFailuresPerLogin,
  duration: loginWindowSeconds,
});
const ipOptions = (s: RateLimitSettings) => ({
  keyPrefix: 'login-failures:ip',
  points: s.loginFailuresPerIp,
  duration: ipWindowSeconds,
});
const writeOptions = (s: RateLimitSettings) => ({
  keyPrefix: 'writes:user',
  points: s.writesPerUserPerMinute,
  duration: writeWindowSeconds,
});

/** The login a body names, as identity compares it (trimmed, case-insensitive); undefined when it names none. */
export function normalizedLogin(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('login' in body)) return undefined;
  const { login } = body;
  if (typeof login !== 'string') return undefined;
  const normalized = login.trim().toLowerCase();
  return normalized === '' ? undefined : normalized;
}
