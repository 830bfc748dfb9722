import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

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

/**
 * Passwords are hashed with scrypt (memory-hard), salted per password, into a self-describing
 * string `scrypt$N$r$p$salt$hash` (salt and hash base64url): the parameters can be raised later
 * and hashes made with the old ones still verify. The clear password is never stored or logged.
 */
export class PasswordHasher {
  #dummyHash: Promise<string> | undefined;

  constructor(private readonly parameters: ScryptParameters = defaultScryptParameters) {}

  async hash(password: string): Promise<string> {
    const { N, r, p } = this.parameters;
    const salt = randomBytes(saltBytes);
    const key = await scryptAsync(password, salt, hashBytes, { N, r, p, maxmem: maxmemFor(this.parameters) });
    return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  /** Whether `password` produced `encoded`; false for a string that is no scrypt hash of ours. */
  async verify(password: string, encoded: string): Promise<boolean> {
    const parsed = parseHash(encoded);
    if (!parsed) return false;
    const { parameters, salt, key } = parsed;
    const candidate = await scryptAsync(password, salt, key.length, {
      ...parameters,
      maxmem: maxmemFor(parameters),
    });
    return timingSafeEqual(candidate, key);
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

function parseHash(encoded: string): { parameters: ScryptParameters; salt: Buffer; key: Buffer } | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const key = Buffer.from(parts[5] ?? '', 'base64url');
  if (!N || !r || !p || salt.length === 0 || key.length === 0) return undefined;
  return { parameters: { N, r, p }, salt, key };
}
