import { setTimeout as sleep } from 'node:timers/promises';
import type { AccessTokenVerifier } from '@gram/service-kit';
import { createTestTokenIssuer } from '@gram/service-kit/testing';
import { describe, expect, it } from 'vitest';
import { verifiedTokens } from './verified-tokens.js';

async function counted() {
  const issuer = await createTestTokenIssuer();
  let calls = 0;
  const inner: AccessTokenVerifier = {
    verify: (token) => {
      calls += 1;
      return issuer.verifier.verify(token);
    },
  };
  return { issuer, inner, calls: () => calls };
}

describe('verified tokens', () => {
  it('checks the signature of a token once, and answers its claims again from memory', async () => {
    const { issuer, inner, calls } = await counted();
    const verifier = verifiedTokens(inner);
    const token = await issuer.mint('0190f7a2-0000-7000-8000-000000000001', { sessionId: 's-1' });
    for (let i = 0; i < 3; i++) {
      expect(await verifier.verify(token)).toEqual({
        userId: '0190f7a2-0000-7000-8000-000000000001',
        sessionId: 's-1',
      });
    }
    expect(calls()).toBe(1);
  });

  it('never remembers a token that failed, and forgets a good one after maxAgeMs', async () => {
    const { issuer, inner, calls } = await counted();
    const verifier = verifiedTokens(inner, { maxAgeMs: 50 });
    await expect(verifier.verify('not.a.token')).rejects.toThrow();
    await expect(verifier.verify('not.a.token')).rejects.toThrow();
    expect(calls()).toBe(2);

    const token = await issuer.mint('0190f7a2-0000-7000-8000-000000000002');
    await verifier.verify(token);
    await sleep(80);
    await verifier.verify(token);
    expect(calls()).toBe(4);
  });

  it('refuses an expired token even if it was verified before', async () => {
    const { issuer, inner } = await counted();
    const verifier = verifiedTokens(inner);
    const token = await issuer.mint('0190f7a2-0000-7000-8000-000000000003', { expiresIn: '1s' });
    await verifier.verify(token);
    await sleep(1_100);
    await expect(verifier.verify(token)).rejects.toThrow();
  });
});
