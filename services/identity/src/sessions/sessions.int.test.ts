import { streamIds } from '@gram/events';
import { encodeConsistencyToken, noReadModelEffect } from '@gram/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityHarness, newSignup } from '../testing/identity-harness.js';

let identity: IdentityHarness;
beforeAll(async () => {
  identity = await IdentityHarness.start();
});
afterAll(() => identity.stop());

const decodeClaims = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
const decodeHeader = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

/** A route of identity that needs a valid, unrevoked access token and changes nothing. */
const touchProfile = (accessToken: string) => identity.patchMe({}, accessToken);

describe('POST /api/v1/auth/login', () => {
  it.each([
    ['userName', (b: ReturnType<typeof newSignup>) => b.userName],
    ['userName in another case', (b: ReturnType<typeof newSignup>) => ` ${b.userName.toUpperCase()} `],
    ['email', (b: ReturnType<typeof newSignup>) => b.email],
    ['email in another case', (b: ReturnType<typeof newSignup>) => b.email.toUpperCase()],
    ['phoneNo', (b: ReturnType<typeof newSignup>) => b.phoneNo],
  ])('logs in by %s and answers tokens and the UserSummary', async (_how, loginOf) => {
    const body = newSignup();
    const { user } = (await identity.signup(body)).json();
    const res = await identity.login(loginOf(body), body.password);
    expect(res.statusCode).toBe(200);
    const tokens = res.json();
    expect(tokens.user).toEqual(user);
    expect(tokens).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    expect(tokens.refreshToken).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
    const claims = decodeClaims(tokens.accessToken);
    expect(claims).toMatchObject({ iss: 'gram-identity', aud: 'gram-api', sub: user.id });
    expect(claims.sid).toBe(tokens.refreshToken.split('.')[0]);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(15 * 60);
    expect(decodeHeader(tokens.accessToken)).toMatchObject({
      alg: 'EdDSA',
      kid: identity.keys.signingKey.kid,
    });
    expect((await touchProfile(tokens.accessToken)).statusCode).toBe(200);
  });

  it('logs in by a phoneNo that another account uses as its userName', async () => {
    const phoneOwner = newSignup({ phoneNo: `1${process.pid}`.padEnd(9, '7') });
    await identity.signup(phoneOwner);
    await identity.signup(newSignup({ userName: phoneOwner.phoneNo, password: 'the squatter password' }));
    const res = await identity.login(phoneOwner.phoneNo, phoneOwner.password);
    expect(res.statusCode).toBe(200);
    expect(res.json().user.userName).toBe(phoneOwner.userName);
  });

  it('answers the same 401 body for an unknown login and a wrong password', async () => {
    const body = newSignup();
    await identity.signup(body);
    const unknown = await identity.login('nobody_here', body.password);
    const wrong = await identity.login(body.userName, 'wrong password!');
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.json()).toEqual(wrong.json());
    expect(unknown.body).toBe(wrong.body);
  });

  it('spends about the same time on an unknown login as on a wrong password (a dummy hash is checked)', async () => {
    const body = newSignup();
    await identity.signup(body);
    const time = async (login: string) => {
      const started = performance.now();
      await identity.login(login, 'wrong password!');
      return performance.now() - started;
    };
    await time('warm_up_the_dummy');
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 5; i++) {
      unknown.push(await time(`nobody_${i}`));
      wrong.push(await time(body.userName));
    }
    // Without the dummy hash an unknown login would take a few ms against a hash's tens of ms.
    expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.5);
  });

  it('answers 400 when login or password is missing', async () => {
    const res = await identity.post('/api/v1/auth/login', { login: 'someone' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { field: string }) => e.field)).toEqual(['password']);
    expect((await identity.post('/api/v1/auth/login', { login: '   ', password: 'x' })).statusCode).toBe(400);
  });

  it('opens a session whose stream holds only a hash of the refresh token', async () => {
    const { refreshToken } = await identity.account();
    const sessionId = refreshToken.split('.')[0] ?? '';
    const events = await identity.store.readStream(streamIds.session(sessionId));
    expect(events.map((e) => e.type)).toEqual(['SessionStarted']);
    expect(JSON.stringify(events)).not.toContain(refreshToken.split('.')[1]);
  });
});

describe('POST /api/v1/auth/refresh', () => {
  it('rotates: answers new tokens, and the new access token works', async () => {
    const account = await identity.account();
    const res = await identity.refresh(account.refreshToken);
    expect(res.statusCode).toBe(200);
    const next = res.json();
    expect(next.refreshToken).not.toBe(account.refreshToken);
    expect(next.refreshToken.split('.')[0]).toBe(account.refreshToken.split('.')[0]);
    expect(decodeClaims(next.accessToken)).toMatchObject({ sub: account.userId });
    expect((await touchProfile(next.accessToken)).statusCode).toBe(200);
    expect((await identity.refresh(next.refreshToken)).statusCode).toBe(200);
  });

  it('revokes the whole session when a spent token is reused: the newest token and the access tokens stop working', async () => {
    const account = await identity.account();
    const rotated = (await identity.refresh(account.refreshToken)).json();

    const reuse = await identity.refresh(account.refreshToken);
    expect(reuse.statusCode).toBe(401);
    expect((await identity.refresh(rotated.refreshToken)).statusCode).toBe(401);
    expect((await touchProfile(rotated.accessToken)).statusCode).toBe(401);
    expect((await touchProfile(account.accessToken)).statusCode).toBe(401);

    const sessionId = account.refreshToken.split('.')[0] ?? '';
    const events = await identity.store.readStream(streamIds.session(sessionId));
    expect(events.at(-1)).toMatchObject({ type: 'SessionRevoked', data: { reason: 'refresh-token-reuse' } });
  });

  it('lets one of two concurrent refreshes with one token win; the other is a reuse and revokes the session', async () => {
    const account = await identity.account();
    const [a, b] = await Promise.all([
      identity.refresh(account.refreshToken),
      identity.refresh(account.refreshToken),
    ]);
    expect([a?.statusCode, b?.statusCode].sort()).toEqual([200, 401]);
    const winner = a?.statusCode === 200 ? a : b;
    expect((await identity.refresh(winner?.json().refreshToken)).statusCode).toBe(401);
  });

  it('leaves other sessions of the account alone when one is revoked', async () => {
    const account = await identity.account();
    const other = (await identity.login(account.body.userName, account.body.password)).json();
    await identity.refresh(account.refreshToken);
    await identity.refresh(account.refreshToken);
    expect((await identity.refresh(other.refreshToken)).statusCode).toBe(200);
  });

  it('answers 401 to a token it never issued, without revoking the session it names', async () => {
    const account = await identity.account();
    const forged = `${account.refreshToken.split('.')[0]}.${'A'.repeat(43)}`;
    expect((await identity.refresh(forged)).statusCode).toBe(401);
    expect((await identity.refresh('not-a-token')).statusCode).toBe(401);
    expect((await identity.refresh(`${crypto.randomUUID()}.${'A'.repeat(43)}`)).statusCode).toBe(401);
    expect((await identity.refresh(account.refreshToken)).statusCode).toBe(200);
  });

  it('answers 400 without a refreshToken', async () => {
    expect((await identity.post('/api/v1/auth/refresh', {})).statusCode).toBe(400);
  });

  it('answers 401 once the session expired', async () => {
    let now = new Date('2030-01-01T00:00:00.000Z');
    const timeTravel = await IdentityHarness.start({
      clock: () => now,
      settings: { refreshTokenTtlSeconds: 60 },
    });
    try {
      const account = await timeTravel.account();
      now = new Date('2030-01-01T00:00:30.000Z');
      const rotated = (await timeTravel.refresh(account.refreshToken)).json();
      now = new Date('2030-01-01T00:01:29.000Z');
      const stillAlive = await timeTravel.refresh(rotated.refreshToken);
      expect(stillAlive.statusCode).toBe(200);
      now = new Date('2030-01-01T00:02:30.000Z');
      const expired = await timeTravel.refresh(stillAlive.json().refreshToken);
      expect(expired.statusCode).toBe(401);
      expect(expired.json()).toEqual((await timeTravel.refresh('garbage')).json());
    } finally {
      await timeTravel.stop();
    }
  });
});

describe('POST /api/v1/auth/logout', () => {
  it('answers 204, then the refresh token and the access token answer 401', async () => {
    const account = await identity.account();
    const res = await identity.logout(account.refreshToken, account.accessToken);
    expect(res.statusCode).toBe(204);
    // a logout changes no read model: its token asks a read to wait for nothing
    expect(res.headers['x-consistency-token']).toBe(encodeConsistencyToken(noReadModelEffect));
    expect((await identity.refresh(account.refreshToken)).statusCode).toBe(401);
    expect((await touchProfile(account.accessToken)).statusCode).toBe(401);
    expect((await identity.logout(account.refreshToken, account.accessToken)).statusCode).toBe(401);
  });

  it('ends only its own session', async () => {
    const account = await identity.account();
    const other = (await identity.login(account.body.email, account.body.password)).json();
    await identity.logout(account.refreshToken, account.accessToken);
    expect((await touchProfile(other.accessToken)).statusCode).toBe(200);
    expect((await identity.refresh(other.refreshToken)).statusCode).toBe(200);
  });

  it("answers 401 for a refresh token of another session than the bearer's, and changes nothing", async () => {
    const alice = await identity.account();
    const bob = await identity.account();
    expect((await identity.logout(bob.refreshToken, alice.accessToken)).statusCode).toBe(401);
    expect((await identity.refresh(bob.refreshToken)).statusCode).toBe(200);
  });

  it('answers 401 without a bearer token, and 400 without a refresh token', async () => {
    const account = await identity.account();
    expect(
      (await identity.post('/api/v1/auth/logout', { refreshToken: account.refreshToken })).statusCode,
    ).toBe(401);
    expect((await identity.post('/api/v1/auth/logout', {}, account.accessToken)).statusCode).toBe(400);
  });
});
