import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventStore, openSqliteEventStore } from '@gram/event-store';
import { inMemoryDataKeys } from '@gram/personal-data';
import { internalCredentialHeader, type ServiceApp } from '@gram/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIdentityApp } from '../app.js';
import { KeyStore } from '../keys/key-store.js';
import { newSignup } from '../testing/identity-harness.js';
import { resolveUserNamesPath } from '../users/account-names.js';
import { introspectionPath } from './introspection.js';

// Identity as the distributed mode runs it: reached on its own port, it serves the gateway (and the
// services fetching its keys) only, never a client that found the port.

const internalSecret = 'the-internal-secret-of-the-identity-tests';
const dataDir = mkdtempSync(join(tmpdir(), 'gram-identity-internal-'));
let store: EventStore;
let identity: ServiceApp;
let accessToken: string;
const account = newSignup();

const withCredential = (secret: string) => ({ [internalCredentialHeader]: secret });

beforeAll(async () => {
  store = openSqliteEventStore({ path: join(dataDir, 'events.sqlite') });
  identity = await buildIdentityApp({
    store,
    keys: await KeyStore.inDirectory(join(dataDir, 'keys')),
    dataKeys: inMemoryDataKeys(),
    internalSecret,
  });
  const headers = withCredential(internalSecret);
  expect(
    (await identity.inject({ method: 'POST', url: '/api/v1/auth/signup', headers, payload: account }))
      .statusCode,
  ).toBe(201);
  const login = await identity.inject({ ...calls()[1], headers });
  expect(login.statusCode).toBe(200);
  accessToken = login.json().accessToken;
});

afterAll(async () => {
  await identity?.close();
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const calls = () => [
  { method: 'POST' as const, url: introspectionPath, payload: { token: accessToken } },
  {
    method: 'POST' as const,
    url: '/api/v1/auth/login',
    payload: { login: account.userName, password: account.password },
  },
  { method: 'GET' as const, url: '/.well-known/jwks.json' },
  { method: 'POST' as const, url: resolveUserNamesPath, payload: { userNames: [account.userName] } },
];

describe('identity reached directly, not through the gateway', () => {
  it('answers 401 problem+json without the internal credential: its login, its introspection, its keys, its userNames', async () => {
    for (const call of calls()) {
      const res = await identity.inject(call);
      expect(res.statusCode, call.url).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 401 });
    }
  });

  it('answers 401 to a wrong credential', async () => {
    for (const call of calls()) {
      const res = await identity.inject({
        ...call,
        headers: withCredential(`${internalSecret.slice(0, -1)}!`),
      });
      expect(res.statusCode, call.url).toBe(401);
    }
  });

  it('serves the calls that carry the credential', async () => {
    const [introspect, login, jwks, resolved] = await Promise.all(
      calls().map((call) => identity.inject({ ...call, headers: withCredential(internalSecret) })),
    );
    expect(introspect?.statusCode).toBe(200);
    expect(introspect?.json()).toMatchObject({ active: true });
    expect(login?.statusCode).toBe(200);
    expect(jwks?.statusCode).toBe(200);
    expect(resolved?.statusCode).toBe(200);
    expect(resolved?.json().accounts).toHaveLength(1);
  });
});
