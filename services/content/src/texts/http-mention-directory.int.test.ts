import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventStore, openSqliteEventStore } from '@gram/event-store';
import { fromStoredEvent, personalFields, streamIds } from '@gram/events';
import { buildIdentityApp, KeyStore } from '@gram/identity';
import { DataKeys, inMemoryDataKeys, personalDataEventStore } from '@gram/personal-data';
import {
  createServiceApp,
  internalCredentialHeaders,
  jwksAccessTokenVerifier,
  type ServiceApp,
} from '@gram/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildContentApp } from '../app.js';
import { httpMentionDirectory } from './mention-directory.js';

// The distributed mode in small: identity on a port of its own, asked over HTTP with the internal credential,
// and content on the same log.

const secret = 'the-internal-secret-of-the-mention-directory-tests';
const credential = internalCredentialHeaders(secret);
const dir = mkdtempSync(join(tmpdir(), 'gram-mention-directory-'));
const dataKeys = inMemoryDataKeys();
let store: EventStore;
let identity: ServiceApp;
let identityUrl: string;
let content: ServiceApp;
type Account = { userId: string; accessToken: string };
let ada: Account;
let grace: Account;
let gone: Account;

let signups = 0;
async function signUp(userName: string): Promise<Account> {
  signups += 1;
  const password = 'correct horse battery';
  const signup = await identity.inject({
    method: 'POST',
    url: '/api/v1/auth/signup',
    headers: credential,
    payload: {
      name: userName,
      userName,
      email: `${userName}@example.com`,
      phoneNo: `+4915100000${signups}`,
      password,
    },
  });
  expect(signup.statusCode, signup.body).toBe(201);
  const login = await identity.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    headers: credential,
    payload: { login: userName, password },
  });
  const { accessToken, user } = login.json<{ accessToken: string; user: { id: string } }>();
  return { userId: user.id, accessToken };
}

beforeAll(async () => {
  store = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
  const keys = await KeyStore.inDirectory(join(dir, 'keys'));
  identity = await buildIdentityApp({ store, keys, dataKeys, internalSecret: secret });
  identityUrl = await identity.listen({ port: 0, host: '127.0.0.1' });
  ada = await signUp('ada');
  grace = await signUp('Grace_H');
  gone = await signUp('gone');
  const deletion = await identity.inject({
    method: 'DELETE',
    url: '/api/v1/users/me',
    headers: { ...credential, authorization: `Bearer ${gone.accessToken}` },
  });
  expect(deletion.statusCode).toBe(204);
  content = buildContentApp({
    store,
    verifier: jwksAccessTokenVerifier(keys.jwks()),
    dataKeys: new DataKeys((accountId) => dataKeys.get(accountId)),
    mentions: httpMentionDirectory(identityUrl, credential),
  });
  await content.ready();
});

afterAll(async () => {
  await content?.close();
  await identity?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a mention directory that asks identity's internal route", () => {
  it('answers the live accounts among the names, case-insensitively: not a deleted account, not an unknown name', async () => {
    const directory = httpMentionDirectory(identityUrl, credential);
    expect(await directory.accountsNamed(['ADA', 'gone', 'nobody_here', 'grace_h'])).toEqual([
      { userName: 'ADA', userId: ada.userId },
      { userName: 'grace_h', userId: grace.userId },
    ]);
  });

  it('throws an outage (statusCode 503) when identity refuses the credential or cannot be reached', async () => {
    const refused = httpMentionDirectory(
      identityUrl,
      internalCredentialHeaders('not-the-secret-of-these-tests'),
    );
    await expect(refused.accountsNamed(['ada'])).rejects.toMatchObject({ statusCode: 503 });
    const closed = createServiceApp({ name: 'gone' });
    const address = await closed.listen({ port: 0, host: '127.0.0.1' });
    await closed.close();
    await expect(httpMentionDirectory(address, credential).accountsNamed(['ada'])).rejects.toMatchObject({
      statusCode: 503,
    });
  });

  it("lets content record a caption's mentions by the accounts identity names: `@ada.` mentions ada", async () => {
    const res = await content.inject({
      method: 'POST',
      url: '/api/v1/posts',
      headers: { authorization: `Bearer ${grace.accessToken}` },
      payload: { photo: 'https://img.example/p.jpg', caption: 'thanks @ADA. and @gone, @nobody_here' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const log = personalDataEventStore(store, dataKeys, personalFields);
    const [created] = await log.readStream(streamIds.post(res.json<{ id: string }>().id));
    expect(created && fromStoredEvent(created)).toMatchObject({
      type: 'PostCreated',
      data: { mentions: [ada.userId] },
    });
  });
});
