import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { HttpProblem } from '@gram/service-kit';
import pLimit, { type LimitFunction } from 'p-limit';

export interface ScryptParameters {
  /** CPU/memory cost, a power of two */
  N: number;
  r: number;
  p: number;
}

/** 2^15 × 8 × 128 B = 32 MiB of memory per hash, tens of milliseconds: OWASP's scrypt baseline. */
export const defaultScryptParameters: ScryptParameters = { N: 2 ** 15, r: 8, p: 1 };

const saltBytes = 16;
const hashBytes = 32;

function scryptAsync(
  password: string,
  salt: Buffer,
  keylen: number,
  options: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Node's default maxmem (32 MiB) is exactly the need of N=2^15, r=8: leave room above it. */
const maxmemFor = ({ N, r, p }: ScryptParameters) => 128 * N * r * p * 2;

export interface HashingCapacity {
  /** hashes computed at once (default: the machine's cores) */
  concurrency: number;
  /**
   * hashes waiting for their turn beyond those; one more is refused (default: 16 per unit of
   * concurrency, so the last in line waits about 16 hashes, under a second at the default cost)
   */
  waiting: number;
}

/**
 * Passwords are hashed with scrypt (memory-hard), salted per password, into a self-describing
 * string `scrypt$N$r$p$salt$hash` (salt and hash base64url): the parameters can be raised later
 * and hashes made with the old ones still verify. The clear password is never stored or logged.
 */
export class PasswordHasher {
  #dummyHash: Promise<string> | undefined;
  /**
   * Every hash and verification takes its turn here. scrypt runs on libuv's thread pool (4 threads),
   * which file and DNS work share: a burst of 50 signups queued 50 hashes there, and a login behind
   * them waited 7 s. Here at most `concurrency` run at once, which the cores can actually run, and at
   * most `waiting` wait; past that the request is refused at once with 503 and `Retry-After`, so a
   * burst costs its senders a retry instead of costing every other login its latency.
   */
  readonly #turns: LimitFunction;
  readonly #waiting: number;

  constructor(
    private readonly parameters: ScryptParameters = defaultScryptParameters,
    capacity: Partial<HashingCapacity> = {},
  ) {
    const concurrency = capacity.concurrency ?? availableParallelism();
    this.#turns = pLimit(concurrency);
    this.#waiting = capacity.waiting ?? 16 * concurrency;
  }

  hash(password: string): Promise<string> {
    return this.#inTurn(async () => {
      const { N, r, p } = this.parameters;
      const salt = randomBytes(saltBytes);
      const key = await scryptAsync(password, salt, hashBytes, {
        N,
        r,
        p,
        maxmem: maxmemFor(this.parameters),
      });
      return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
    });
  }

  /** Whether `password` produced `encoded`; false for a string that is no scrypt hash of ours. */
  verify(password: string, encoded: string): Promise<boolean> {
    const parsed = parseHash(encoded);
    if (!parsed) return Promise.resolve(false);
    const { parameters, salt, key } = parsed;
    return this.#inTurn(async () => {
      const candidate = await scryptAsync(password, salt, key.length, {
        ...parameters,
        maxmem: maxmemFor(parameters),
      });
      return timingSafeEqual(candidate, key);
    });
  }

  /** Hashes running and waiting now. */
  get load(): { running: number; waiting: number } {
    return { running: this.#turns.activeCount, waiting: this.#turns.pendingCount };
  }

  #inTurn<T>(work: () => Promise<T>): Promise<T> {
    // Queued work becomes active a microtask later: the sum holds at every moment, either part may not.
    if (this.#turns.activeCount + this.#turns.pendingCount >= this.#turns.concurrency + this.#waiting) {
      return Promise.reject(passwordHashingBusy());
    }
    return this.#turns(work);
  }

  /**
   * Spend the time of one verification for nothing: a login for an unknown account answers in
   * about the time a wrong password takes, so the answer's timing does not tell which accounts exist.
   */
  async verifyAgainstDummy(password: string): Promise<false> {
    this.#dummyHash ??= this.hash(randomBytes(16).toString('base64url'));
    await this.verify(password, await this.#dummyHash);
    return false;
  }
}

/** Infrastructure refusing, not a domain rule: the one refusal of identity that is not a domain error. */
function passwordHashingBusy(): HttpProblem {
  return new HttpProblem(503, 'too many passwords are being checked right now; try again shortly', {
    code: 'busy',
    headers: { 'retry-after': '1' },
  });
}

function parseHash(encoded: string): { parameters: ScryptParameters; salt: Buffer; key: Buffer } | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const key = Buffer.from(parts[5] ?? '', 'base64url');
  if (!N || !r || !p || salt.length === 0 || key.length === 0) return undefined;
  return { parameters: { N, r, p }, salt, key };
}
