import { streamIds } from '@gram/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteUser, registerUser, startService } from '../../test/fixtures.js';

let service: Awaited<ReturnType<typeof startService>>;
beforeAll(async () => {
  service = await startService();
});
afterAll(async () => {
  await service?.close();
});

async function signedUp() {
  const id = await registerUser(service.store);
  return { id, auth: { authorization: `Bearer ${await service.issuer.mint(id)}` } };
}

const muteUrl = (userId: string) => `/api/v1/users/${userId}/mute`;
const mute = (userId: string, headers: Record<string, string> = {}) =>
  service.app.inject({ method: 'PUT', url: muteUrl(userId), headers });
const unmute = (userId: string, headers: Record<string, string> = {}) =>
  service.app.inject({ method: 'DELETE', url: muteUrl(userId), headers });
const muteStream = async (muterId: string, mutedId: string) =>
  (await service.store.readStream(streamIds.mute(muterId, mutedId))).map((e) => e.type);

function expectProblem(
  res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown },
  status: number,
) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
}

describe('PUT /api/v1/users/:userId/mute', () => {
  it('answers 204 and records UserMuted by the caller in the mute stream of the pair', async () => {
    const me = await signedUp();
    const them = await registerUser(service.store);
    const res = await mute(them, me.auth);
    expect(res.statusCode).toBe(204);
    const recorded = await service.store.readStream(streamIds.mute(me.id, them));
    expect(recorded).toMatchObject([
      { type: 'UserMuted', data: { muterId: me.id, mutedId: them }, metadata: { actorId: me.id } },
    ]);
    expect(res.headers['x-consistency-token']).toEqual(expect.any(String));
  });

  it('answers 204 again when already muting and records nothing', async () => {
    const me = await signedUp();
    const them = await registerUser(service.store);
    await mute(them, me.auth);
    expect((await mute(them.toUpperCase(), me.auth)).statusCode).toBe(204);
    expect(await muteStream(me.id, them)).toEqual(['UserMuted']);
  });

  it('answers 400 cannot-mute-yourself to a user muting themselves, and records nothing', async () => {
    const me = await signedUp();
    const res = await mute(me.id, me.auth);
    expectProblem(res, 400);
    expect(res.json()).toMatchObject({ code: 'cannot-mute-yourself', errors: [{ field: 'userId' }] });
    expect(await muteStream(me.id, me.id)).toEqual([]);
  });

  it('answers 400 naming userId for a malformed id', async () => {
    const me = await signedUp();
    const res = await mute('not-a-uuid', me.auth);
    expectProblem(res, 400);
    expect(res.json().errors[0].field).toBe('userId');
  });

  it('answers 404 for an id of no account and for a deleted account', async () => {
    const me = await signedUp();
    expectProblem(await mute('01900000-0000-7000-8000-000000000404', me.auth), 404);
    const gone = await registerUser(service.store);
    await deleteUser(service.store, gone);
    expectProblem(await mute(gone, me.auth), 404);
    expect(await muteStream(me.id, gone)).toEqual([]);
  });

  it('answers 401 without a token', async () => {
    expectProblem(await mute(await registerUser(service.store)), 401);
  });
});

describe('DELETE /api/v1/users/:userId/mute', () => {
  it('answers 204 and records UserUnmuted when the caller mutes the account', async () => {
    const me = await signedUp();
    const them = await registerUser(service.store);
    await mute(them, me.auth);
    expect((await unmute(them, me.auth)).statusCode).toBe(204);
    expect(await muteStream(me.id, them)).toEqual(['UserMuted', 'UserUnmuted']);
  });

  it('answers 204 and records nothing when the caller does not mute the account', async () => {
    const me = await signedUp();
    const them = await registerUser(service.store);
    expect((await unmute(them, me.auth)).statusCode).toBe(204);
    expect(await muteStream(me.id, them)).toEqual([]);
  });

  it('answers 404 for a deleted account', async () => {
    const me = await signedUp();
    const gone = await registerUser(service.store);
    await deleteUser(service.store, gone);
    expectProblem(await unmute(gone, me.auth), 404);
  });

  it('answers 401 without a token', async () => {
    expectProblem(await unmute(await registerUser(service.store)), 401);
  });
});
