import { type EventStore, openSqliteEventStore } from '@gram/event-store';
import { type ExportStorage, KeyStore } from '@gram/identity';
import type { MediaStorage } from '@gram/media';
import { inMemoryDataKeys } from '@gram/personal-data';
import type { ServiceApp } from '@gram/service-kit';
import { buildEmbeddedApp, type EmbeddedAppOptions } from '../src/embedded-app.js';

const noStorage: MediaStorage = {
  description: 'none (these tests upload nothing)',
  put: () => Promise.reject(new Error('no storage in this test')),
  get: () => Promise.resolve(undefined),
  delete: () => Promise.resolve(),
};

const noExports: ExportStorage = {
  description: 'none (these tests export nothing)',
  put: () => Promise.reject(new Error('no export storage in this test')),
  get: () => Promise.resolve(undefined),
  delete: () => Promise.resolve(),
  deleteAccount: () => Promise.resolve(),
  deleteExpired: () => Promise.resolve(),
};

/** The embedded gateway on an in-memory event store: no file, no port. */
export async function embeddedGateway(
  options: Partial<Omit<EmbeddedAppOptions, 'store' | 'keys' | 'dataKeys'>> = {},
): Promise<{ app: ServiceApp; store: EventStore; close: () => Promise<void> }> {
  const store = openSqliteEventStore({ path: ':memory:' });
  const keys = await KeyStore.generate();
  const app = await buildEmbeddedApp({
    store,
    keys,
    dataKeys: inMemoryDataKeys(),
    media: { storage: noStorage, publicUrl: 'http://localhost:8080' },
    exports: { storage: noExports, publicUrl: 'http://localhost:8080' },
    ...options,
  });
  return {
    app,
    store,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

let sequence = 0;

/** Signs a new user up and logs them in; their password is `correct horse battery`. */
export async function newUser(app: ServiceApp): Promise<{ id: string; userName: string; token: string }> {
  sequence += 1;
  const userName = `user_${process.pid}_${sequence}`;
  const signup = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/signup',
    payload: {
      name: `User ${sequence}`,
      userName,
      email: `${userName}@example.com`,
      phoneNo: `+4917${String(process.pid % 10_000).padStart(4, '0')}${String(sequence).padStart(4, '0')}`,
      password: 'correct horse battery',
    },
  });
  if (signup.statusCode !== 201) throw new Error(`signup answered ${signup.statusCode}: ${signup.body}`);
  const login = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { login: userName, password: 'correct horse battery' },
  });
  if (login.statusCode !== 200) throw new Error(`login answered ${login.statusCode}: ${login.body}`);
  return { id: signup.json().user.id, userName, token: login.json().accessToken };
}
