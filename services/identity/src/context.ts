import type { EventStore } from '@gram/event-store';
import { AccountDirectory } from '@gram/service-kit';
import { AccessTokenIssuer, defaultAccessTokenTtlSeconds } from './keys/access-tokens.js';
import type { KeyStore } from './keys/key-store.js';
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
  passwords?: PasswordHasher;
  /** the time every command is decided at */
  clock?: () => Date;
  settings?: Partial<IdentitySettings>;
}

/** Identity's collaborators, wired once and shared by its routes and its token revocation check. */
export interface IdentityContext {
  store: EventStore;
  keys: KeyStore;
  passwords: PasswordHasher;
  accessTokens: AccessTokenIssuer;
  accounts: AccountDirectory;
  uniqueValues: UniqueValues;
  revocation: RevocationCheck;
  clock: () => Date;
  settings: IdentitySettings;
}

export function createIdentityContext(deps: IdentityDeps): IdentityContext {
  const settings = { ...defaultIdentitySettings, ...deps.settings };
  const accounts = new AccountDirectory(deps.store);
  return {
    store: deps.store,
    keys: deps.keys,
    passwords: deps.passwords ?? new PasswordHasher(),
    accessTokens: new AccessTokenIssuer(deps.keys, settings.accessTokenTtlSeconds),
    accounts,
    uniqueValues: new UniqueValues(deps.store, accounts),
    revocation: new RevocationCheck(deps.store, accounts),
    clock: deps.clock ?? (() => new Date()),
    settings,
  };
}
