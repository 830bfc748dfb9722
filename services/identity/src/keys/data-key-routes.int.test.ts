import { randomUUID } from 'node:crypto';
import { personalFields, streamIds } from '@gram/events';
import { DataKeys, decryptPersonalFields } from '@gram/personal-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityHarness } from '../testing/identity-harness.js';

let identity: IdentityHarness;
beforeAll(async () => {
  identity = await IdentityHarness.start();
});
afterAll(() => identity.stop());

const dataKeyOf = (accountId: string) =>
  identity.app.inject({ method: 'GET', url: `/internal/v1/data-keys/${accountId}` });

describe('GET /internal/v1/data-keys/:accountId (for the services that read personal fields)', () => {
  it("answers an account's live key, which decrypts its profile as the log holds it", async () => {
    const account = await identity.account({ name: 'Keyed Name' });
    const res = await dataKeyOf(account.userId);
    expect(res.statusCode).toBe(200);
    const answer = res.json();
    expect(answer).toMatchObject({ state: 'live' });
    expect(Buffer.from(answer.key, 'base64url')).toHaveLength(32);

    const [registered] = await identity.store.readStream(streamIds.user(account.userId));
    const keys = new DataKeys(async () => ({ state: 'live', key: Buffer.from(answer.key, 'base64url') }));
    expect(
      await decryptPersonalFields('UserRegistered', registered?.data, personalFields, (id) => keys.get(id)),
    ).toMatchObject({ name: 'Keyed Name', userName: account.body.userName });
  });

  it('answers destroyed once the account is deleted', async () => {
    const account = await identity.account();
    expect((await identity.deleteMe(account.accessToken)).statusCode).toBe(204);
    const res = await dataKeyOf(account.userId);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ state: 'destroyed' });
  });

  it('answers 404 for an account without a key, and 400 for a malformed id', async () => {
    expect((await dataKeyOf(randomUUID())).statusCode).toBe(404);
    expect((await dataKeyOf('not-an-id')).statusCode).toBe(400);
  });
});
