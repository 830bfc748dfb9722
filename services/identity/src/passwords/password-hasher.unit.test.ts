import { HttpProblem } from '@gram/service-kit';
import { describe, expect, it } from 'vitest';
import { PasswordHasher } from './password-hasher.js';

// Small parameters keep this file fast; the format and the checks are the same as in production.
const hasher = new PasswordHasher({ N: 2 ** 10, r: 8, p: 1 });

describe('password hashing', () => {
  it('stores a self-describing scrypt string that never contains the password', async () => {
    const encoded = await hasher.hash('correct horse battery');
    expect(encoded).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(encoded).not.toContain('correct');
  });

  it('salts every hash, so equal passwords give different strings', async () => {
    expect(await hasher.hash('same password')).not.toBe(await hasher.hash('same password'));
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const encoded = await hasher.hash('correct horse battery');
    expect(await hasher.verify('correct horse battery', encoded)).toBe(true);
    expect(await hasher.verify('Correct horse battery', encoded)).toBe(false);
  });

  it('verifies with the parameters stored in the hash, so raising them later keeps old hashes valid', async () => {
    const old = await new PasswordHasher({ N: 2 ** 9, r: 8, p: 1 }).hash('long lived');
    expect(await hasher.verify('long lived', old)).toBe(true);
  });

  it('refuses a malformed stored hash instead of throwing', async () => {
    expect(await hasher.verify('x', 'plain-text')).toBe(false);
    expect(await hasher.verify('x', 'scrypt$a$b$c$d$e')).toBe(false);
  });

  it('answers false against the dummy hash', async () => {
    expect(await hasher.verifyAgainstDummy('anything at all')).toBe(false);
  });

  it('runs at most its concurrency at once and refuses, with 503 busy and Retry-After, what would wait past its queue', async () => {
    const bounded = new PasswordHasher({ N: 2 ** 10, r: 8, p: 1 }, { concurrency: 2, waiting: 3 });
    const encoded = await hasher.hash('queued');
    const running: number[] = [];
    const burst = Array.from({ length: 12 }, () =>
      bounded.verify('queued', encoded).finally(() => running.push(bounded.load.running)),
    );
    const outcomes = await Promise.allSettled(burst);
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(outcomes.filter((o) => o.status === 'fulfilled' && o.value === true)).toHaveLength(5);
    expect(refused).toHaveLength(7);
    for (const problem of refused) {
      expect(problem).toBeInstanceOf(HttpProblem);
      expect(problem).toMatchObject({
        status: 503,
        code: 'busy',
        options: { headers: { 'retry-after': '1' } },
      });
    }
    expect(Math.max(...running)).toBeLessThanOrEqual(2);
    // Refusals free nothing they never held; once the burst is through there is room again.
    expect(bounded.load).toEqual({ running: 0, waiting: 0 });
    expect(await bounded.verify('queued', encoded)).toBe(true);
  });
});
