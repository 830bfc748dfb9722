import { streamIds } from '@gram/events';
import { personalDataKeysFromEnv, ReservationIds } from '@gram/personal-data';
import { encodeConsistencyToken } from '@gram/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityHarness, newSignup } from '../testing/identity-harness.js';

let identity: IdentityHarness;
beforeAll(async () => {
  identity = await IdentityHarness.start();
});
afterAll(() => identity.stop());

/** The reservation stream ids under the secret in the harness's data key store, opened beside it. */
const reservationIds = () => ReservationIds.of(personalDataKeysFromEnv({}, identity.dataDir));

const fieldsOf = (body: { errors?: { field: string }[] }) => (body.errors ?? []).map((e) => e.field);

describe('POST /api/v1/auth/signup', () => {
  it('creates an account and answers 201 with its UserSummary and where the write landed', async () => {
    const body = newSignup({ name: '  Alice Liddell  ', userName: ' Alice.L ' });
    const res = await identity.signup(body);
    expect(res.statusCode).toBe(201);
    const { user } = res.json();
    expect(user).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      userName: 'Alice.L',
      name: 'Alice Liddell',
      profilePic: 'https://static.gram.example/default-profile.png',
    });
    expect(res.headers['x-stream-revision']).toBe('1');
    expect(Number(res.headers['x-global-position'])).toBeGreaterThan(0);
    expect(res.headers['x-consistency-token']).toMatch(/^p[0-9a-z]+$/);
  });

  it('names the public UserRegistered in its consistency token, not the private credentials the read side never applies', async () => {
    const res = await identity.signup(newSignup());
    const [registered, credentials] = await identity.store.readStream(streamIds.user(res.json().user.id));
    expect(credentials?.type).toBe('AccountCredentialsSet');
    expect(res.headers['x-global-position']).toBe(String(credentials?.position));
    expect(res.headers['x-consistency-token']).toBe(encodeConsistencyToken(registered?.position ?? -1));
  });

  it('stores public profile and private credentials apart, the credentials only encrypted under the account key, and never the password in clear', async () => {
    const body = newSignup({ password: 'a very secret phrase' });
    const res = await identity.signup(body);
    // The log as stored (the harness's store is the raw one, under identity's encrypting store).
    const events = await identity.store.readStream(streamIds.user(res.json().user.id));
    expect(events.map((e) => e.type)).toEqual(['UserRegistered', 'AccountCredentialsSet']);
    expect(JSON.stringify(events[0]?.data)).not.toContain(body.email);
    expect(events[1]?.data).toMatchObject({
      email: expect.stringMatching(/^pd1\./),
      phoneNo: expect.stringMatching(/^pd1\./),
      passwordHash: expect.stringMatching(/^pd1\./),
    });
    const everything = JSON.stringify(await identity.store.readAll());
    for (const secret of ['a very secret phrase', body.email, body.phoneNo, 'scrypt$']) {
      expect(everything).not.toContain(secret);
    }
    expect((await identity.login(body.email, 'a very secret phrase')).statusCode).toBe(200);
  });

  it('keys reservations by a keyed hash of the value, so no contact data appears in a stream id', async () => {
    const body = newSignup();
    await identity.signup(body);
    const streams = (await identity.store.readAll()).map((e) => e.streamId);
    expect(streams).toContain((await reservationIds()).streamId('email', body.email));
    expect(streams.join(' ')).not.toContain(body.email);
    expect(streams.join(' ')).not.toContain(body.phoneNo);
  });

  it.each([
    ['name', { name: '' }],
    ['name', { name: '   ' }],
    ['name', { name: 'x'.repeat(51) }],
    ['name', { name: '🌸'.repeat(26) }],
    ['name', { name: '\u200b' }],
    ['name', { name: '\u0000' }],
    ['name', { name: '\u202e' }],
    ['name', { name: ' \u200b\u200d\ufeff\u3164 ' }],
    ['name', { name: 'Ada\u0000Lovelace' }],
    ['name', { name: 'Ada\nLovelace' }],
    ['userName', { userName: 'ab' }],
    ['userName', { userName: 'x'.repeat(31) }],
    ['userName', { userName: 'bad name!' }],
    ['email', { email: 'not-an-email' }],
    ['email', { email: `${'x'.repeat(250)}@example.com` }],
    ['phoneNo', { phoneNo: '12345' }],
    ['phoneNo', { phoneNo: '+1234567890123456' }],
    ['phoneNo', { phoneNo: '030-1234567' }],
    ['password', { password: 'short' }],
    ['password', { password: 'x'.repeat(129) }],
  ])('answers 400 naming %s for %j', async (field, overrides) => {
    const res = await identity.signup(newSignup(overrides));
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(fieldsOf(res.json())).toContain(field);
  });

  it('accepts the edges of each rule, trimmed', async () => {
    const res = await identity.signup(
      newSignup({
        name: ` ${'n'.repeat(50)} `,
        userName: `  ${'u'.repeat(26)}${process.pid % 10000}`.slice(0, 32),
        email: '  Edge.Case+tag@Example.org ',
        phoneNo: '1234567',
        password: 'p'.repeat(128),
      }),
    );
    expect(res.statusCode).toBe(201);
    expect(res.json().user.name).toBe('n'.repeat(50));
  });

  it('answers 400 naming every missing field, and an unknown one', async () => {
    const res = await identity.signup({ nickname: 'x' });
    expect(res.statusCode).toBe(400);
    expect(fieldsOf(res.json()).sort()).toEqual([
      'email',
      'name',
      'nickname',
      'password',
      'phoneNo',
      'userName',
    ]);
  });

  it.each([
    [
      'userName',
      (taken: ReturnType<typeof newSignup>) => ({ userName: ` ${taken.userName.toUpperCase()} ` }),
    ],
    ['email', (taken: ReturnType<typeof newSignup>) => ({ email: taken.email.toUpperCase() })],
    ['phoneNo', (taken: ReturnType<typeof newSignup>) => ({ phoneNo: taken.phoneNo })],
  ])('answers 409 naming %s when it is taken (case-insensitively)', async (field, collide) => {
    const taken = newSignup();
    expect((await identity.signup(taken)).statusCode).toBe(201);
    const res = await identity.signup(newSignup(collide(taken)));
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('taken');
    expect(res.json().errors[0]).toEqual({ field, message: 'is already taken' });
  });

  it('names every taken value, userName first', async () => {
    const taken = newSignup();
    await identity.signup(taken);
    const res = await identity.signup({ ...taken, name: 'Copycat' });
    expect(res.statusCode).toBe(409);
    expect(fieldsOf(res.json())).toEqual(['userName', 'email', 'phoneNo']);
  });

  it('releases what a failed signup reserved: its userName can then be used by another signup', async () => {
    const holder = newSignup();
    await identity.signup(holder);
    const loser = newSignup({ email: holder.email });
    const refused = await identity.signup(loser);
    expect(refused.statusCode).toBe(409);
    expect(fieldsOf(refused.json())).toEqual(['email']);

    const userNameStream = (await reservationIds()).streamId('userName', loser.userName);
    expect((await identity.store.readStream(userNameStream)).map((e) => e.type)).toEqual([
      'UniqueValueReserved',
      'UniqueValueReleased',
    ]);
    const retry = await identity.signup(newSignup({ userName: loser.userName, phoneNo: loser.phoneNo }));
    expect(retry.statusCode).toBe(201);
  });

  it('lets exactly one of 20 concurrent signups for one userName win; the others get 409 on userName', async () => {
    const userName = `race_${process.pid}`;
    const bodies = Array.from({ length: 20 }, () => newSignup({ userName }));
    const responses = await Promise.all(bodies.map((body) => identity.signup(body)));
    const statuses = responses.map((r) => r.statusCode).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    for (const res of responses.filter((r) => r.statusCode === 409)) {
      expect(res.json().errors[0].field).toBe('userName');
    }
    // A loser gave its email and phoneNo back: they can sign up with another userName now.
    const loser = bodies[responses.findIndex((r) => r.statusCode === 409)];
    const again = await identity.signup(newSignup({ email: loser?.email, phoneNo: loser?.phoneNo }));
    expect(again.statusCode).toBe(201);
  });
});
