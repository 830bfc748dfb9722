import { describe, expect, it } from 'vitest';
import type { AccessTokenVerifier } from './auth.js';
import { verifiedTokens } from './verified-tokens.js';

/** An unsigned token with the given claims: the inner verifier below decides what is valid. */
const tokenWith = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

function countingVerifier(valid = (_token: string) => true) {
  const calls: string[] = [];
  const verifier: AccessTokenVerifier = {
    async verify(token) {
      calls.push(token);
      if (!valid(token)) throw new Error('bad signature');
      return { userId: 'u1', sessionId: 's1' };
    },
  };
  return { verifier, calls };
}

describe('verifiedTokens', () => {
  const t0 = 1_700_000_000_000;
  const token = tokenWith({ sub: 'u1', sid: 's1', exp: t0 / 1000 + 900 });

  it('verifies a token once and reuses the claims while it is fresh', async () => {
    const { verifier, calls } = countingVerifier();
    const cached = verifiedTokens(verifier, { clock: () => t0 });
    expect(await cached.verify(token)).toEqual({ userId: 'u1', sessionId: 's1' });
    expect(await cached.verify(token)).toEqual({ userId: 'u1', sessionId: 's1' });
    expect(calls).toHaveLength(1);
  });

  it('verifies again after maxAgeMs', async () => {
    let now = t0;
    const { verifier, calls } = countingVerifier();
    const cached = verifiedTokens(verifier, { clock: () => now, maxAgeMs: 1000 });
    await cached.verify(token);
    now += 1000;
    await cached.verify(token);
    expect(calls).toHaveLength(2);
  });

  it('never accepts a token past its exp without asking the inner verifier (which refuses it)', async () => {
    let now = t0;
    const shortLived = tokenWith({ exp: t0 / 1000 + 5 });
    const { verifier, calls } = countingVerifier(() => now < t0 + 5000);
    const cached = verifiedTokens(verifier, { clock: () => now, maxAgeMs: 60_000 });
    await cached.verify(shortLived);
    now = t0 + 5000;
    await expect(cached.verify(shortLived)).rejects.toThrow('bad signature');
    expect(calls).toHaveLength(2);
  });

  it('does not remember a token that failed verification', async () => {
    const { verifier, calls } = countingVerifier(() => false);
    const cached = verifiedTokens(verifier, { clock: () => t0 });
    await expect(cached.verify(token)).rejects.toThrow();
    await expect(cached.verify(token)).rejects.toThrow();
    expect(calls).toHaveLength(2);
  });

  it('forgets the least recently used verification beyond maxEntries', async () => {
    const { verifier, calls } = countingVerifier();
    const cached = verifiedTokens(verifier, { clock: () => t0, maxEntries: 2 });
    const [a, b, c] = ['a', 'b', 'c'].map((jti) => tokenWith({ jti, exp: t0 / 1000 + 900 }));
    for (const t of [a, b, c, b, c, a]) await cached.verify(t ?? '');
    // a, b, c verified; b and c were still cached; a had been evicted by c.
    expect(calls).toEqual([a, b, c, a]);
  });
});
