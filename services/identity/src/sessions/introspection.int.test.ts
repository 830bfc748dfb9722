import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityHarness } from '../testing/identity-harness.js';
import { introspectionPath } from './introspection.js';

let identity: IdentityHarness;
beforeAll(async () => {
  identity = await IdentityHarness.start();
});
afterAll(() => identity.stop());

const introspect = async (token: string) => {
  const res = await identity.post(introspectionPath, { token });
  expect(res.statusCode).toBe(200);
  return res.json();
};

describe(`POST ${introspectionPath} (for the gateway)`, () => {
  it('says a live token is active, with its user and session', async () => {
    const account = await identity.account();
    expect(await introspect(account.accessToken)).toEqual({
      active: true,
      userId: account.userId,
      sessionId: account.refreshToken.split('.')[0],
    });
  });

  it('says a token of a logged-out session is inactive, though its signature is still good and was checked before', async () => {
    const account = await identity.account();
    expect(await introspect(account.accessToken)).toMatchObject({ active: true });
    expect((await identity.logout(account.refreshToken, account.accessToken)).statusCode).toBe(204);
    expect(await introspect(account.accessToken)).toEqual({ active: false });
  });

  it('says a token of a deleted account is inactive', async () => {
    const account = await identity.account();
    expect((await identity.deleteMe(account.accessToken)).statusCode).toBe(204);
    expect(await introspect(account.accessToken)).toEqual({ active: false });
  });

  it('says a tampered or foreign token is inactive rather than failing', async () => {
    const account = await identity.account();
    const [header, , signature] = account.accessToken.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ sub: 'x', sid: 'y' })).toString('base64url')}.${signature}`;
    expect(await introspect(forged)).toEqual({ active: false });
    expect(await introspect('not a jwt')).toEqual({ active: false });
  });

  it('is not part of the public OpenAPI document', async () => {
    const doc = (await identity.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).not.toContain(introspectionPath);
  });
});
