import { toStoredEvent } from '@gram/events';
import { ReservationIds } from '@gram/personal-data';
import { newId } from '@gram/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityHarness } from '../testing/identity-harness.js';
import { resolveUserNamesPath } from './account-names.js';

let identity: IdentityHarness;
beforeAll(async () => {
  identity = await IdentityHarness.start();
});
afterAll(() => identity.stop());

const resolve = (userNames: unknown) =>
  identity.app.inject({ method: 'POST', url: resolveUserNamesPath, payload: { userNames } });

describe('POST /internal/v1/users/resolve (for content, which records mentions by account id)', () => {
  it('answers the live accounts among the names, compared case-insensitively, spelled as asked', async () => {
    const ada = await identity.account();
    const grace = await identity.account();
    const res = await resolve([
      ada.body.userName.toUpperCase(),
      'nobody_has_this_name',
      grace.body.userName,
      ada.body.userName,
    ]);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      accounts: [
        { userName: ada.body.userName.toUpperCase(), userId: ada.userId },
        { userName: grace.body.userName, userId: grace.userId },
      ],
    });
  });

  it("leaves out a deleted account's name", async () => {
    const gone = await identity.account();
    const live = await identity.account();
    expect((await identity.deleteMe(gone.accessToken)).statusCode).toBe(204);
    const res = await resolve([gone.body.userName, live.body.userName]);
    expect(res.json()).toEqual({ accounts: [{ userName: live.body.userName, userId: live.userId }] });
  });

  it('leaves out a name claimed by a signup that never registered its account', async () => {
    const userName = `unfinished_${process.pid}`;
    const streamId = (await ReservationIds.of(identity.dataKeys)).streamId('userName', userName);
    const claim = toStoredEvent({
      type: 'UniqueValueReserved',
      data: { kind: 'userName', userId: newId(), reservedAt: new Date().toISOString() },
    });
    await identity.store.appendToStream(streamId, [claim], { expectedRevision: 'no_stream' });
    expect((await resolve([userName])).json()).toEqual({ accounts: [] });
  });

  it('answers 400 to what is no userName, and to more names than one text can mention', async () => {
    expect((await resolve(['ab'])).statusCode).toBe(400);
    expect((await resolve(['no spaces'])).statusCode).toBe(400);
    expect((await resolve(Array.from({ length: 561 }, (_, i) => `name${i}`))).statusCode).toBe(400);
    expect((await resolve(Array.from({ length: 560 }, (_, i) => `name${i}`))).statusCode).toBe(200);
  });
});
