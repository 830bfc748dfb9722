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

  it('answers a batch of tokens in order, each judged as alone: live, logged out, deleted account, tampered', async () => {
    const live = await identity.account();
    const loggedOut = await identity.account();
    expect((await identity.logout(loggedOut.refreshToken, loggedOut.accessToken)).statusCode).toBe(204);
    const deleted = await identity.account();
    expect((await identity.deleteMe(deleted.accessToken)).statusCode).toBe(204);
    const [header, , signature] = live.accessToken.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ sub: live.userId, sid: 'y' })).toString('base64url')}.${signature}`;

    const res = await identity.post(introspectionPath, {
      tokens: [live.accessToken, loggedOut.accessToken, deleted.accessToken, tampered, live.accessToken],
    });
    expect(res.statusCode).toBe(200);
    const liveAnswer = { active: true, userId: live.userId, sessionId: live.refreshToken.split('.')[0] };
    expect(res.json()).toEqual({
      results: [liveAnswer, { active: false }, { active: false }, { active: false }, liveAnswer],
    });
  });

  it('refuses an empty batch or one of more than 256 tokens with a 400 validation problem', async () => {
    const account = await identity.account();
    for (const tokens of [[], Array.from({ length: 257 }, () => account.accessToken)]) {
      const res = await identity.post(introspectionPath, { tokens });
      expect(res.statusCode, `${tokens.length} tokens`).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 400, code: 'validation' });
      expect(res.json().errors).toContainEqual({
        field: 'tokens',
        message: expect.stringMatching(/^must NOT have (fewer|more) than \d+ items$/),
      });
    }
    const full = await identity.post(introspectionPath, {
      tokens: Array.from({ length: 256 }, () => account.accessToken),
    });
    expect(full.statusCode).toBe(200);
    expect(full.json().results).toHaveLength(256);
  });

  it('answers a full batch of tokens at their longest, though past the default body limit', async () => {
    const res = await identity.post(introspectionPath, {
      tokens: Array.from({ length: 256 }, () => 'x'.repeat(4096)),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().results).toEqual(Array.from({ length: 256 }, () => ({ active: false })));
  });

  it('refuses a body that is neither one token nor a batch, or is both, with a 400 validation problem', async () => {
    const account = await identity.account();
    for (const body of [
      {},
      { tokens: [''] },
      { token: account.accessToken, tokens: [account.accessToken] },
    ]) {
      const res = await identity.post(introspectionPath, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json()).toMatchObject({ status: 400, code: 'validation' });
    }
  });

  it('is not part of the public OpenAPI document', async () => {
    const doc = (await identity.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).not.toContain(introspectionPath);
  });
});
