import type { Redis } from 'ioredis';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';

export interface AccessLimitSettings {
  /** failed logins of one account from one client address per 15 minutes (LOGIN_FAILURES_PER_LOGIN) */
  loginFailuresPerAccountAndAddress: number;
  /**
   * failed logins of one account from every address together per 15 minutes, after which it opens
   * only to the addresses it logged in from in the last 14 days (LOGIN_FAILURES_PER_ACCOUNT)
   */
  loginFailuresPerAccount: number;
  /** failed logins from one client address per hour, whatever the account (LOGIN_FAILURES_PER_IP) */
  loginFailuresPerAddress: number;
  /** signups from one client address per hour (SIGNUPS_PER_IP) */
  signupsPerAddress: number;
}

export const defaultAccessLimits: AccessLimitSettings = {
  loginFailuresPerAccountAndAddress: 5,
  loginFailuresPerAccount: 20,
  loginFailuresPerAddress: 50,
  signupsPerAddress: 20,
};

/** 14 days: also under the 24.8 days a timer of the memory store can wait (Node caps setTimeout at 2^31 - 1 ms). */
const knownAddressSeconds = 14 * 24 * 60 * 60;

/** The variables of the settings above; the defaults for those not set. */
export function accessLimitsFromEnv(env: Record<string, string | undefined>): AccessLimitSettings {
  const positive = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
    return value;
  };
  const d = defaultAccessLimits;
  return {
    loginFailuresPerAccountAndAddress: positive(
      'LOGIN_FAILURES_PER_LOGIN',
      d.loginFailuresPerAccountAndAddress,
    ),
    loginFailuresPerAccount: positive('LOGIN_FAILURES_PER_ACCOUNT', d.loginFailuresPerAccount),
    loginFailuresPerAddress: positive('LOGIN_FAILURES_PER_IP', d.loginFailuresPerAddress),
    signupsPerAddress: positive('SIGNUPS_PER_IP', d.signupsPerAddress),
  };
}

/** How long a refused caller must wait, in whole seconds (the `Retry-After` value). */
export type RetryAfterSeconds = number;

/**
 * Identity's counters of login and signup attempts, in Redis in the distributed mode (shared by every
 * replica) and in memory in the embedded one (rate-limiter-flexible, fixed windows from the first count).
 *
 * An attempt is counted BEFORE its password is checked, by one atomic increment per counter (Redis
 * INCR in a MULTI, or the process's own single thread), and refused when the count passes the limit.
 * Counting the outcome afterwards, as a check-then-count would, lets every attempt sent at the same
 * moment pass the check before any of them is counted: 40 parallel guesses were 40 password checks.
 * Here N parallel attempts past a limit of L get exactly L checks and N - L answers 429. A success gives
 * its count back, so only failures use a limit up.
 *
 * What is counted, after OWASP's authentication and credential-stuffing guidance:
 * - per (account, address): the guesses one client makes at one account, the limit that stops a
 *   targeted guesser. The account is what the login resolves to, so its userName, email and phone
 *   number count as one: three spellings are not three budgets.
 * - per address, whatever the account: one client spraying a password over many accounts.
 * - per account, over every address: a guesser with many addresses. Were this a hard lock, anyone
 *   could lock the owner out by failing a few times from anywhere (the lockout denial of service
 *   OWASP warns about). Instead, once it is used up the account stays open to the addresses it has
 *   logged in from in the last 14 days (each still under its own per-(account, address) limit): the
 *   owner's usual addresses keep working, while new addresses, where a distributed guesser comes from,
 *   wait. This is OWASP's "device cookie" scheme with the client address as the device, since the API
 *   has no cookies; a device token would be finer, and would slot in where `knownAddress` is read.
 *
 * A Redis outage falls back to per-process counters (the library's insurance limiter), so logins
 * stay limited, per replica, rather than refused or unlimited.
 */
export class AccessLimits {
  private constructor(private readonly counters: Record<Counter, RateLimiterAbstract>) {}

  static inMemory(settings: AccessLimitSettings = defaultAccessLimits): AccessLimits {
    return new AccessLimits(eachCounter(settings, (options) => new RateLimiterMemory(options)));
  }

  /**
   * Counters in Redis under `<prefix>:`. Build the client with `enableOfflineQueue: false`: while it
   * is disconnected a command then fails at once and the in-memory insurance answers, instead of a
   * login hanging.
   */
  static inRedis(
    redis: Redis,
    settings: AccessLimitSettings = defaultAccessLimits,
    prefix = 'gram',
  ): AccessLimits {
    return new AccessLimits(
      eachCounter(
        settings,
        (options) =>
          new RateLimiterRedis({
            ...options,
            keyPrefix: `${prefix}:${options.keyPrefix}`,
            storeClient: redis,
            rejectIfRedisNotReady: true,
            insuranceLimiter: new RateLimiterMemory(options),
          }),
      ),
    );
  }

  /**
   * Counts a login attempt at `account` (the account's id, or a stand-in for a login that names none)
   * from `address`; the wait when it must be refused without checking its password.
   */
  async admitLogin(account: string, address: string): Promise<RetryAfterSeconds | undefined> {
    // One after the other, so that an attempt refused by one counter uses up none after it: a client
    // locked out by its address cannot go on wearing down the account's shared budget.
    const { perAddress, perAccountAndAddress, perAccount, knownAddresses } = this.counters;
    const byAddress = await take(perAddress, address);
    if (byAddress !== undefined) return byAddress;
    const byPair = await take(perAccountAndAddress, pair(account, address));
    if (byPair !== undefined) return byPair;
    const byAccount = await take(perAccount, account);
    if (byAccount === undefined) return undefined;
    const known = await knownAddresses.get(pair(account, address));
    return known === null ? byAccount : undefined;
  }

  /** The password was right: the attempt's counts are given back, and the address becomes known to the account. */
  async loginSucceeded(account: string, address: string): Promise<void> {
    const { perAddress, perAccountAndAddress, perAccount, knownAddresses } = this.counters;
    await Promise.all([
      perAddress.reward(address),
      perAccountAndAddress.delete(pair(account, address)),
      perAccount.reward(account),
      knownAddresses.set(pair(account, address), 1, knownAddressSeconds),
    ]);
  }

  /** Counts a signup from `address`; the wait when it must be refused. */
  admitSignup(address: string): Promise<RetryAfterSeconds | undefined> {
    return take(this.counters.signups, address);
  }
}

const pair = (account: string, address: string) => `${account}|${address}`;

async function take(limiter: RateLimiterAbstract, key: string): Promise<RetryAfterSeconds | undefined> {
  try {
    await limiter.consume(key);
    return undefined;
  } catch (refusal) {
    if (refusal instanceof RateLimiterRes) return Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
    throw refusal;
  }
}

type Counter = 'perAccountAndAddress' | 'perAccount' | 'perAddress' | 'knownAddresses' | 'signups';

interface CounterOptions {
  keyPrefix: string;
  points: number;
  duration: number;
}

function eachCounter<T>(s: AccessLimitSettings, build: (options: CounterOptions) => T): Record<Counter, T> {
  const minutes = (n: number) => n * 60;
  return {
    perAccountAndAddress: build({
      keyPrefix: 'login:account-address',
      points: s.loginFailuresPerAccountAndAddress,
      duration: minutes(15),
    }),
    perAccount: build({
      keyPrefix: 'login:account',
      points: s.loginFailuresPerAccount,
      duration: minutes(15),
    }),
    perAddress: build({
      keyPrefix: 'login:address',
      points: s.loginFailuresPerAddress,
      duration: minutes(60),
    }),
    // Not a limit: a set of keys with a lifetime, kept where the counters are.
    knownAddresses: build({ keyPrefix: 'login:known-address', points: 1, duration: knownAddressSeconds }),
    signups: build({ keyPrefix: 'signup:address', points: s.signupsPerAddress, duration: minutes(60) }),
  };
}
