import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventStore, openSqliteEventStore } from '@gram/event-store';
import { inMemoryDataKeys } from '@gram/personal-data';
import { afterEach, describe, expect, it } from 'vitest';
import { buildIdentityApp } from '../app.js';
import { KeyStore } from '../keys/key-store.js';
import { newSignup } from '../testing/identity-harness.js';

/** The store, counting the stream reads that go through it. */
function counting(store: EventStore) {
  const counter = { reads: 0 };
  const wrapped: EventStore = {
    appendToStream: (streamId, events, options) => store.appendToStream(streamId, events, options),
    readStream: (streamId, options) => {
      counter.reads++;
      return store.readStream(streamId, options);
    },
    readStreams: (streamIds) => store.readStreams(streamIds),
    readAll: (options) => store.readAll(options),
    readAllForReplay: (options) => store.readAllForReplay(options),
    readByActor: (actorId, options) => store.readByActor(actorId, options),
    readByType: (types, options) => store.readByType(types, options),
    headPosition: () => store.headPosition(),
    subscribeToAll: (options) => store.subscribeToAll(options),
    close: () => store.close(),
  };
  return { store: wrapped, counter };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function start(soleWriter: boolean) {
  const dir = await mkdtemp(join(tmpdir(), 'gram-sole-writer-'));
  const sqlite = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
  const { store, counter } = counting(sqlite);
  const app = await buildIdentityApp({
    store,
    keys: await KeyStore.inDirectory(dir),
    dataKeys: inMemoryDataKeys(),
    soleWriter,
  });
  cleanups.push(async () => {
    await app.close();
    await sqlite.close();
    await rm(dir, { recursive: true, force: true });
  });
  const body = newSignup();
  await app.inject({ method: 'POST', url: '/api/v1/auth/signup', payload: body });
  const login = (
    await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: body.userName, password: body.password },
    })
  ).json();
  const touch = (token: string) =>
    app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      payload: {},
      headers: { authorization: `Bearer ${token}` },
    });
  return { app, counter, login, touch };
}

/** Stream reads of one authenticated PATCH /users/me after a first one (which may read to learn the session). */
async function readsPerRequest(soleWriter: boolean): Promise<number> {
  const { counter, login, touch } = await start(soleWriter);
  expect((await touch(login.accessToken)).statusCode).toBe(200);
  const before = counter.reads;
  expect((await touch(login.accessToken)).statusCode).toBe(200);
  return counter.reads - before;
}

describe('identity as the sole writer of its store (the embedded mode)', () => {
  it('remembers a live session and account: the token check reads neither stream again', async () => {
    // when other processes may write (the default), the check reads the account's and the session's streams
    expect((await readsPerRequest(false)) - (await readsPerRequest(true))).toBe(2);
  });
  it('still refuses the token at once after a logout, and after the account is deleted', async () => {
    const { app, login, touch } = await start(true);
    expect((await touch(login.accessToken)).statusCode).toBe(200);
    const logout = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      payload: { refreshToken: login.refreshToken },
      headers: { authorization: `Bearer ${login.accessToken}` },
    });
    expect(logout.statusCode).toBe(204);
    expect((await touch(login.accessToken)).statusCode).toBe(401);

    const other = await start(true);
    expect((await other.touch(other.login.accessToken)).statusCode).toBe(200);
    const deleted = await other.app.inject({
      method: 'DELETE',
      url: '/api/v1/users/me',
      headers: { authorization: `Bearer ${other.login.accessToken}` },
    });
    expect(deleted.statusCode).toBe(204);
    expect((await other.touch(other.login.accessToken)).statusCode).toBe(401);
  });
});
