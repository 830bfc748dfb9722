import type { EventStore } from '@gram/event-store';
import { personalFields } from '@gram/events';
import { type DataKeyStore, personalDataEventStore } from '@gram/personal-data';
import { AccountDirectory } from '@gram/service-kit';
import { AccessTokenIssuer, defaultAccessTokenTtlSeconds } from './keys/access-tokens.js';
import type { KeyStore } from './keys/key-store.js';
import { AccessLimits } from './limits/access-limits.js';
import { PasswordHasher } from './passwords/password-hasher.js';
import { UniqueValues } from './reservations/unique-values.js';
import { defaultRefreshTokenTtlSeconds } from './sessions/refresh-token.js';
import { RevocationCheck } from './sessions/revocation.js';

export interface IdentitySettings {
  /** the picture of an account that has not chosen one (env DEFAULT_PROFILE_PIC) */
  defaultProfilePic: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
}

export const defaultIdentitySettings: IdentitySettings = {
  defaultProfilePic: 'https://static.gram.example/default-profile.png',
  accessTokenTtlSeconds: defaultAccessTokenTtlSeconds,
  refreshTokenTtlSeconds: defaultRefreshTokenTtlSeconds,
};

/** What identity is built from; everything but the store and the keys has a production default. */
export interface IdentityDeps {
  store: EventStore;
  keys: KeyStore;
  /**
   * The accounts' data keys: contact data and password hashes are stored encrypted under them, and an account's
   * deletion destroys its key (packages/personal-data). In production a file or a Redis of identity's own
   * (personalDataKeysFromEnv).
   */
  dataKeys: DataKeyStore;
  passwords?: PasswordHasher;
  /** the counters of login and signup attempts; in this process's memory, at their default limits, without it */
  limits?: AccessLimits;
  /** the time every command is decided at */
  clock?: () => Date;
  settings?: Partial<IdentitySettings>;
  /**
   * This process is the only one that appends to the store (the embedded mode): every account
   * deletion and session revocation goes through this context, so live accounts and sessions can
   * be remembered instead of re-read on every request. Never with several processes on one store.
   */
  soleWriter?: boolean;
  /**
   * What else holds an account's personal data outside the log and must drop it when the account is deleted (its
   * uploaded files, its exports): each is erased, in order, before the account's key is destroyed and before
   * `DELETE /users/me` answers. Each must be idempotent (a failed deletion is retried whole) and throw, never
   * pretend, when it could not erase.
   */
  erasers?: readonly AccountEraser[];
}

/** One place outside the log that keeps an account's personal data, and how to erase it there. */
export interface AccountEraser {
  /** for logs: what is erased, e.g. `media files` */
  readonly name: string;
  erase(accountId: string): Promise<void>;
}

/** Identity's collaborators, wired once and shared by its routes and its token revocation check. */
export interface IdentityContext {
  /** the event store, personal fields encrypted on the way in and decrypted on the way out */
  store: EventStore;
  keys: KeyStore;
  dataKeys: DataKeyStore;
  passwords: PasswordHasher;
  limits: AccessLimits;
  accessTokens: AccessTokenIssuer;
  accounts: AccountDirectory;
  uniqueValues: UniqueValues;
  revocation: RevocationCheck;
  clock: () => Date;
  settings: IdentitySettings;
  erasers: readonly AccountEraser[];
}

export function createIdentityContext(deps: IdentityDeps): IdentityContext {
  const settings = { ...defaultIdentitySettings, ...deps.settings };
  const soleWriter = deps.soleWriter ?? false;
  const accounts = new AccountDirectory(deps.store, { cacheActive: soleWriter });
  const revocation = new RevocationCheck(deps.store, accounts, { cacheLive: soleWriter });
  // As sole writer, every append of identity is watched: a deletion or a revocation reaches the
  // caches above once durable, before the write that made it answers.
  const reporting = soleWriter ? reportingRevocations(deps.store, accounts, revocation) : deps.store;
  const store = personalDataEventStore(reporting, deps.dataKeys, personalFields);
  return {
    store,
    keys: deps.keys,
    dataKeys: deps.dataKeys,
    passwords: deps.passwords ?? new PasswordHasher(),
    limits: deps.limits ?? AccessLimits.inMemory(),
    accessTokens: new AccessTokenIssuer(deps.keys, settings.accessTokenTtlSeconds),
    accounts,
    uniqueValues: new UniqueValues(store, accounts, deps.dataKeys),
    revocation,
    clock: deps.clock ?? (() => new Date()),
    settings,
    erasers: deps.erasers ?? [],
  };
}

/** The store, with every appended UserDeleted and SessionRevoked reported to the caches that must know. */
function reportingRevocations(
  store: EventStore,
  accounts: AccountDirectory,
  revocation: RevocationCheck,
): EventStore {
  return {
    async appendToStream(streamId, events, options) {
      const result = await store.appendToStream(streamId, events, options);
      for (const event of events) {
        const data = event.data as { userId?: unknown; sessionId?: unknown };
        if (event.type === 'UserDeleted' && typeof data.userId === 'string')
          accounts.markDeleted(data.userId);
        if (event.type === 'SessionRevoked' && typeof data.sessionId === 'string') {
          revocation.markRevoked(data.sessionId);
        }
      }
      return result;
    },
    readStream: (streamId, options) => store.readStream(streamId, options),
    readAll: (options) => store.readAll(options),
    readAllForReplay: (options) => store.readAllForReplay(options),
    readByActor: (actorId, options) => store.readByActor(actorId, options),
    headPosition: () => store.headPosition(),
    subscribeToAll: (options) => store.subscribeToAll(options),
    close: () => store.close(),
  };
}
