import { personalFields, streamIds } from '@gram/events';
import {
  forgotten,
  personalDataEventStore,
  personalDataKeysFromEnv,
  ReservationIds,
} from '@gram/personal-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityHarness, newSignup } from '../testing/identity-harness.js';

let identity: IdentityHarness;
beforeAll(async () => {
  identity = await IdentityHarness.start();
});
afterAll(() => identity.stop());

describe('PATCH /api/v1/users/me', () => {
  it('records only the changed fields and answers 200 with the Profile', async () => {
    const account = await identity.account({ name: 'Before' });
    const res = await identity.patchMe(
      { name: '  After  ', bio: 'Photographer', profilePic: 'https://img.example/me.png' },
      account.accessToken,
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      id: account.userId,
      userName: account.body.userName,
      name: 'After',
      bio: 'Photographer',
      profilePic: 'https://img.example/me.png',
      followersCount: 0,
      followingCount: 0,
      postCount: 0,
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      isPrivate: false,
    });
    expect(res.headers['x-stream-revision']).toBe('2');

    const again = await identity.patchMe({ name: 'After', bio: 'Traveller' }, account.accessToken);
    expect(again.json()).toMatchObject({ name: 'After', bio: 'Traveller' });
    // Stored encrypted (the harness's store is the raw log), read back through the keys.
    const stored = await identity.store.readStream(streamIds.user(account.userId));
    expect(stored.at(-1)).toMatchObject({
      type: 'ProfileUpdated',
      data: { bio: expect.stringMatching(/^pd1\./) },
    });
    const log = personalDataEventStore(
      identity.store,
      personalDataKeysFromEnv({}, identity.dataDir),
      personalFields,
    );
    const events = await log.readStream(streamIds.user(account.userId));
    expect(events.at(-1)).toMatchObject({ type: 'ProfileUpdated', data: { bio: 'Traveller' } });
    expect(events.at(-1)?.data).not.toHaveProperty('name');
  });

  it('turns the account private and public again with isPrivate, stored in clear (not personal data)', async () => {
    const account = await identity.account();
    const res = await identity.patchMe({ isPrivate: true }, account.accessToken);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: account.userId, isPrivate: true });
    const stored = await identity.store.readStream(streamIds.user(account.userId));
    expect(stored.at(-1)).toMatchObject({ type: 'ProfileUpdated', data: { isPrivate: true } });
    const back = await identity.patchMe({ isPrivate: false }, account.accessToken);
    expect(back.json()).toMatchObject({ isPrivate: false });
    expect((await identity.patchMe({ isPrivate: 'yes' }, account.accessToken)).statusCode).toBe(400);
  });

  it('appends nothing when nothing changes, and still answers 200 with where the account stands', async () => {
    const account = await identity.account();
    const before = await identity.store.readStream(streamIds.user(account.userId));
    const res = await identity.patchMe({ name: account.body.name, bio: '' }, account.accessToken);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-stream-revision']).toBe('1');
    expect(Number(res.headers['x-global-position'])).toBe(before.at(-1)?.position);
    expect(await identity.store.readStream(streamIds.user(account.userId))).toHaveLength(before.length);
  });

  it.each([
    ['name', { name: '   ' }],
    ['name', { name: 'x'.repeat(51) }],
    ['name', { name: '\u200b' }],
    ['name', { name: '\u0000' }],
    ['name', { name: '\u202e\u200b ' }],
    ['bio', { bio: 'hello\u0000' }],
    ['bio', { bio: 'bell\u0007' }],
    ['bio', { bio: 'x'.repeat(151) }],
    ['bio', { bio: '🌸'.repeat(76) }],
    ['profilePic', { profilePic: 'ftp://img.example/me.png' }],
    ['profilePic', { profilePic: 'not a url' }],
    ['profilePic', { profilePic: `https://img.example/${'x'.repeat(2048)}` }],
    ['userName', { userName: 'renamed' }],
  ])('answers 400 naming %s for %j', async (field, body) => {
    const account = await identity.account();
    const res = await identity.patchMe(body, account.accessToken);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('accepts a bio on several lines, with tabs', async () => {
    const account = await identity.account();
    const res = await identity.patchMe({ bio: ' line one\r\nline\ttwo \n' }, account.accessToken);
    expect(res.statusCode).toBe(200);
    expect(res.json().bio).toBe('line one\r\nline\ttwo');
  });

  it('accepts an empty bio and a bio of 150 characters', async () => {
    const account = await identity.account();
    expect((await identity.patchMe({ bio: 'b'.repeat(150) }, account.accessToken)).statusCode).toBe(200);
    expect((await identity.patchMe({ bio: '' }, account.accessToken)).json().bio).toBe('');
  });

  it('answers 401 without a token or with a tampered one', async () => {
    expect((await identity.patchMe({ bio: 'x' })).statusCode).toBe(401);
    expect((await identity.patchMe({ bio: 'x'.repeat(151) })).statusCode).toBe(401);
    const account = await identity.account();
    const [header, , signature] = account.accessToken.split('.');
    const payload = Buffer.from(JSON.stringify({ sub: account.userId, sid: 'x' })).toString('base64url');
    expect((await identity.patchMe({ bio: 'x' }, `${header}.${payload}.${signature}`)).statusCode).toBe(401);
  });
});

describe('DELETE /api/v1/users/me', () => {
  it('answers 204; then login answers 401 and every token of the account answers 401', async () => {
    const account = await identity.account();
    const second = (await identity.login(account.body.email, account.body.password)).json();
    const res = await identity.deleteMe(account.accessToken);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(res.headers['x-consistency-token']).toBeDefined();

    expect((await identity.login(account.body.userName, account.body.password)).statusCode).toBe(401);
    expect((await identity.patchMe({ bio: 'x' }, account.accessToken)).statusCode).toBe(401);
    expect((await identity.patchMe({ bio: 'x' }, second.accessToken)).statusCode).toBe(401);
    expect((await identity.deleteMe(account.accessToken)).statusCode).toBe(401);
    expect((await identity.refresh(second.refreshToken)).statusCode).toBe(401);
  });

  it('gives the userName, email and phoneNo back, so a new account can use them', async () => {
    const account = await identity.account();
    await identity.deleteMe(account.accessToken);
    const reuse = await identity.signup(newSignup({ ...account.body, name: 'Successor' }));
    expect(reuse.statusCode).toBe(201);
    expect(reuse.json().user.id).not.toBe(account.userId);
    const login = await identity.login(account.body.userName, account.body.password);
    expect(login.json().user.name).toBe('Successor');
  });

  it('records the deletion, then the releases', async () => {
    const account = await identity.account();
    await identity.deleteMe(account.accessToken);
    const user = await identity.store.readStream(streamIds.user(account.userId));
    expect(user.at(-1)?.type).toBe('UserDeleted');
    const ids = await ReservationIds.of(personalDataKeysFromEnv({}, identity.dataDir));
    const email = ids.streamId('email', account.body.email);
    const released = (await identity.store.readStream(email)).at(-1);
    expect(released).toMatchObject({ type: 'UniqueValueReleased', data: { userId: account.userId } });
    expect(released?.position).toBeGreaterThan(user.at(-1)?.position ?? Number.POSITIVE_INFINITY);
  });

  it('lets a signup take over a value a deleted account still holds (its release was lost)', async () => {
    const account = await identity.account();
    // The deletion's decisive write alone, as if the process died before releasing anything.
    await identity.store.appendToStream(
      streamIds.user(account.userId),
      [
        {
          type: 'UserDeleted',
          data: { userId: account.userId, deletedAt: new Date().toISOString() },
          metadata: { schemaVersion: 1 },
        },
      ],
      { expectedRevision: 1 },
    );
    const res = await identity.signup(newSignup({ userName: account.body.userName }));
    expect(res.statusCode).toBe(201);
  });

  it("forgets the account's contact data and password hash: its data key is destroyed before the answer, and its credentials read back forgotten", async () => {
    const account = await identity.account();
    // The keys as the service keeps them (keys.sqlite under its DATA_DIR), opened beside it.
    const keys = personalDataKeysFromEnv({}, identity.dataDir);
    const log = personalDataEventStore(identity.store, keys, personalFields);
    const credentialsOf = async () =>
      (await log.readStream(streamIds.user(account.userId))).find((e) => e.type === 'AccountCredentialsSet')
        ?.data;
    expect(await credentialsOf()).toMatchObject({ email: account.body.email, phoneNo: account.body.phoneNo });

    expect((await identity.deleteMe(account.accessToken)).statusCode).toBe(204);

    expect(await keys.get(account.userId)).toEqual({ state: 'destroyed' });
    expect(await credentialsOf()).toMatchObject({
      email: forgotten,
      phoneNo: forgotten,
      passwordHash: forgotten,
    });
  });

  it('completes a deletion whose key was destroyed before the process died: the retry appends UserDeleted and answers 204', async () => {
    const account = await identity.account();
    await personalDataKeysFromEnv({}, identity.dataDir).destroy(account.userId);
    // Between the two, the account cannot log in: its password hash reads as forgotten.
    expect((await identity.login(account.body.userName, account.body.password)).statusCode).toBe(401);

    expect((await identity.deleteMe(account.accessToken)).statusCode).toBe(204);
    const user = await identity.store.readStream(streamIds.user(account.userId));
    expect(user.at(-1)?.type).toBe('UserDeleted');
    // The email's claim, unreadable now, is taken over by the next signup that wants it.
    expect((await identity.signup(newSignup({ email: account.body.email }))).statusCode).toBe(201);
  });

  it('answers 401 without a token', async () => {
    expect((await identity.deleteMe()).statusCode).toBe(401);
  });
});
