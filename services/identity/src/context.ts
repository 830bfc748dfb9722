import type { EventStore } from '@gram/event-store';
import { personalFields } from '@gram/events';
import { type DataKeyStore, personalDataEventStore } from '@gram/personal-data';
import {
  type AccessTokenVerifier,
  AccountDirectory,
  jwksAccessTokenVerifier,
  verifiedTokens,
} from '@gram/service-kit';
import type { ArchiveSources } from './exports/archive/index.js';
import type { ExportStorage } from './exports/export-storage.js';
import { defaultExportLeaseMs, ExportJobs } from './exports/jobs.js';
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
  /** the accounts' data exports ("download your data"); without it identity serves no export routes */
  exports?: ExportsDeps;
}

/** What identity builds export archives from and keeps them in (see exports/). */
export interface ExportsDeps {
  storage: ExportStorage;
  /** what the archive holds beside identity's own events: the followers (read models) and the uploaded photos */
  sources: Omit<ArchiveSources, 'store'>;
  /**
   * The scheme and host of download links, e.g. `https://gram.example` (EXPORTS_PUBLIC_URL): the gateway's
   * origin, since a link is downloaded through it like any route.
   */
  publicUrl: string;
  /** archives built at once by this process (EXPORT_CONCURRENCY, default 1) */
  concurrency?: number;
  /** how long a claimed build runs before another process may claim it again (EXPORT_LEASE_MS, default 15 min) */
  leaseMs?: number;
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
  /**
   * Checks identity's own access tokens with its public keys, in-process, reusing a signature already checked
   * (verifiedTokens): the routes' authentication and the gateway's introspection of every request share it.
   */
  verifier: AccessTokenVerifier;
  accounts: AccountDirectory;
  uniqueValues: UniqueValues;
  revocation: RevocationCheck;
  clock: () => Date;
  settings: IdentitySettings;
  erasers: readonly AccountEraser[];
  /** the export builds and where download links point, when identity serves exports */
  exports: { jobs: ExportJobs; publicUrl: string } | undefined;
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
  const clock = deps.clock ?? (() => new Date());
  const exportJobs = deps.exports
    ? new ExportJobs({
        store,
        storage: deps.exports.storage,
        sources: deps.exports.sources,
        accounts,
        dataKeys: deps.dataKeys,
        clock,
        leaseMs: deps.exports.leaseMs ?? defaultExportLeaseMs,
        concurrency: deps.exports.concurrency ?? 1,
      })
    : undefined;
  return {
    store,
    keys: deps.keys,
    dataKeys: deps.dataKeys,
    passwords: deps.passwords ?? new PasswordHasher(),
    limits: deps.limits ?? AccessLimits.inMemory(),
    accessTokens: new AccessTokenIssuer(deps.keys, settings.accessTokenTtlSeconds),
    verifier: verifiedTokens(jwksAccessTokenVerifier(deps.keys.jwks())),
    accounts,
    uniqueValues: new UniqueValues(store, accounts, deps.dataKeys),
    revocation,
    clock,
    settings,
    erasers: [
      ...(deps.erasers ?? []),
      ...(exportJobs ? [{ name: 'exports', erase: (accountId: string) => exportJobs.erase(accountId) }] : []),
    ],
    exports: exportJobs && deps.exports ? { jobs: exportJobs, publicUrl: deps.exports.publicUrl } : undefined,
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
    readStreams: (streamIds) => store.readStreams(streamIds),
    readAll: (options) => store.readAll(options),
    readAllForReplay: (options) => store.readAllForReplay(options),
    readByActor: (actorId, options) => store.readByActor(actorId, options),
    readByType: (types, options) => store.readByType(types, options),
    headPosition: () => store.headPosition(),
    subscribeToAll: (options) => store.subscribeToAll(options),
    close: () => store.close(),
  };
}
