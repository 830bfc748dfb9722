import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamIds } from '@gram/events';
import { generateMasterKey, LocalMasterKey, SqliteDataKeyStore } from '@gram/personal-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityHarness, newSignup } from '../testing/identity-harness.js';

describe('while the data key store cannot answer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gram-identity-keys-down-'));
  const dataKeys = new SqliteDataKeyStore({
    path: join(dir, 'keys.sqlite'),
    masterKey: LocalMasterKey.fromBase64(generateMasterKey()),
  });
  let identity: IdentityHarness;
  let account: Awaited<ReturnType<IdentityHarness['account']>>;

  beforeAll(async () => {
    identity = await IdentityHarness.start({ dataKeys });
    account = await identity.account();
    // The store's own failure, as an unreachable or broken one fails: every call from now on throws.
    dataKeys.close();
  });
  afterAll(async () => {
    await identity.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const expectOutage = (res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }) => {
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json()).toMatchObject({ status: 503, code: 'service-unavailable' });
  };

  it('a deletion answers 503 to retry, and nothing of it is written', async () => {
    const before = await identity.store.readStream(streamIds.user(account.userId));
    expectOutage(await identity.deleteMe(account.accessToken));
    expect(await identity.store.readStream(streamIds.user(account.userId))).toEqual(before);
  });

  it('a login answers 503, not a wrong password', async () => {
    expectOutage(await identity.login(account.body.userName, account.body.password));
  });

  it('a signup answers 503', async () => {
    expectOutage(await identity.signup(newSignup()));
  });
});
