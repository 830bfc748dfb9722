import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventStore, openSqliteEventStore } from '@gram/event-store';
import { type DataKeyStore, personalDataKeysFromEnv } from '@gram/personal-data';
import type { ServiceApp } from '@gram/service-kit';
import type { LightMyRequestResponse } from 'fastify';
import { buildIdentityApp } from '../app.js';
import type { AccountEraser, ExportsDeps, IdentitySettings } from '../context.js';
import { diskExportStorage } from '../exports/export-storage.js';
import { KeyStore } from '../keys/key-store.js';
import { AccessLimits, defaultAccessLimits } from '../limits/access-limits.js';
import { PasswordHasher } from '../passwords/password-hasher.js';

export interface SignupBody {
  name: string;
  userName: string;
  email: string;
  phoneNo: string;
  password: string;
}

let sequence = 0;

/** A signup body whose unique values are new on every call. */
export function newSignup(overrides: Partial<SignupBody> = {}): SignupBody {
  sequence += 1;
  const n = `${process.pid}${String(sequence).padStart(4, '0')}`;
  return {
    name: `Tester ${n}`,
    userName: `user_${n}`,
    email: `user${n}@example.com`,
    phoneNo: `+49${n}`.slice(0, 16),
    password: 'correct horse battery',
    ...overrides,
  };
}

export interface HarnessOptions {
  /** reuse a data directory (restart tests); a fresh temp one otherwise */
  dataDir?: string;
  clock?: () => Date;
  passwords?: PasswordHasher;
  settings?: Partial<IdentitySettings>;
  /** the default limits, but signups unlimited (tests sign many accounts up from one address), unless given */
  limits?: AccessLimits;
  /** the accounts' data keys; `keys.sqlite` in the data directory unless given */
  dataKeys?: DataKeyStore;
  /** exports: archives under `<dataDir>/exports`, no followers and no photos, links to `http://gram.test` unless given */
  exports?: Partial<ExportsDeps>;
  /** what else an account's deletion erases (IdentityDeps `erasers`); nothing unless given */
  erasers?: readonly AccountEraser[];
}

/**
 * Identity over a real SQLite event store in a temp directory, with its signing key kept in that
 * directory as in the embedded mode. Requests go through `app.inject()`.
 */
export class IdentityHarness {
  private constructor(
    readonly app: ServiceApp,
    readonly store: EventStore,
    readonly keys: KeyStore,
    readonly dataKeys: DataKeyStore,
    readonly dataDir: string,
    private readonly ownsDir: boolean,
  ) {}

  static async start(options: HarnessOptions = {}): Promise<IdentityHarness> {
    const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'gram-identity-')));
    const store = openSqliteEventStore({ path: join(dataDir, 'events.sqlite') });
    const keys = await KeyStore.inDirectory(join(dataDir, 'keys'));
    // In the data directory, as the service keeps them: a harness restarted on it reads its accounts again.
    const dataKeys = options.dataKeys ?? personalDataKeysFromEnv({}, dataDir);
    const app = await buildIdentityApp({
      store,
      keys,
      dataKeys,
      ...(options.clock ? { clock: options.clock } : {}),
      // Room for the bursts tests send (20 signups at once) on any number of cores: the default queue is 16 per
      // core, so a one-core machine would refuse some with 503 busy.
      passwords: options.passwords ?? new PasswordHasher(undefined, { waiting: 64 }),
      limits:
        options.limits ??
        AccessLimits.inMemory({ ...defaultAccessLimits, signupsPerAddress: Number.MAX_SAFE_INTEGER }),
      ...(options.settings ? { settings: options.settings } : {}),
      exports: {
        storage: diskExportStorage(join(dataDir, 'exports')),
        sources: { followersOf: async function* () {}, mediaFile: async () => undefined },
        publicUrl: 'http://gram.test',
        ...options.exports,
      },
      ...(options.erasers ? { erasers: options.erasers } : {}),
    });
    await app.ready();
    return new IdentityHarness(app, store, keys, dataKeys, dataDir, options.dataDir === undefined);
  }

  /** Close the app and the store; the data directory stays when `keepData` (restart tests). */
  async stop(options: { keepData?: boolean } = {}): Promise<void> {
    await this.app.close();
    await this.store.close();
    if (this.ownsDir && !options.keepData) await rm(this.dataDir, { recursive: true, force: true });
  }

  /** From `remoteAddress` when given, from 127.0.0.1 otherwise. */
  post(
    url: string,
    payload: object,
    accessToken?: string,
    remoteAddress?: string,
  ): Promise<LightMyRequestResponse> {
    return this.app.inject({
      method: 'POST',
      url,
      payload,
      headers: auth(accessToken),
      ...(remoteAddress ? { remoteAddress } : {}),
    });
  }

  patchMe(payload: object, accessToken?: string): Promise<LightMyRequestResponse> {
    return this.app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      payload,
      headers: auth(accessToken),
    });
  }

  deleteMe(accessToken?: string): Promise<LightMyRequestResponse> {
    return this.app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: auth(accessToken) });
  }

  signup(body: object, remoteAddress?: string): Promise<LightMyRequestResponse> {
    return this.post('/api/v1/auth/signup', body, undefined, remoteAddress);
  }

  login(login: string, password: string, remoteAddress?: string): Promise<LightMyRequestResponse> {
    return this.post('/api/v1/auth/login', { login, password }, undefined, remoteAddress);
  }

  refresh(refreshToken: string): Promise<LightMyRequestResponse> {
    return this.post('/api/v1/auth/refresh', { refreshToken });
  }

  logout(refreshToken: string, accessToken: string): Promise<LightMyRequestResponse> {
    return this.post('/api/v1/auth/logout', { refreshToken }, accessToken);
  }

  /** Sign up a new account and log it in. */
  async account(overrides: Partial<SignupBody> = {}) {
    const body = newSignup(overrides);
    const signup = await this.signup(body);
    if (signup.statusCode !== 201) throw new Error(`signup failed: ${signup.statusCode} ${signup.body}`);
    const login = await this.login(body.userName, body.password);
    if (login.statusCode !== 200) throw new Error(`login failed: ${login.statusCode} ${login.body}`);
    const tokens = login.json<{ accessToken: string; refreshToken: string; user: { id: string } }>();
    return {
      body,
      userId: tokens.user.id,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
    };
  }
}

function auth(accessToken: string | undefined): Record<string, string> {
  return accessToken ? { authorization: `Bearer ${accessToken}` } : {};
}
