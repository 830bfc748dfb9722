export { buildIdentityApp, type IdentityAppOptions, identityRoutes } from './app.js';
export {
  type AccountEraser,
  createIdentityContext,
  defaultIdentitySettings,
  type ExportsDeps,
  type IdentityContext,
  type IdentityDeps,
  type IdentitySettings,
} from './context.js';
export { type ArchiveSources, httpFollowersOf, httpMediaFile } from './exports/archive/index.js';
export { diskExportStorage, type ExportStorage } from './exports/export-storage.js';
export { defaultExportLeaseMs } from './exports/jobs.js';
export { AccessTokenIssuer } from './keys/access-tokens.js';
export { KeyStore, type PublicSigningJwk } from './keys/key-store.js';
export {
  type AccessLimitSettings,
  AccessLimits,
  accessLimitsFromEnv,
  defaultAccessLimits,
} from './limits/access-limits.js';
export { type HashingCapacity, PasswordHasher, type ScryptParameters } from './passwords/password-hasher.js';
export { RevocationCheck } from './sessions/revocation.js';
export { liveAccountsNamed, type NamedAccount, resolveUserNamesPath } from './users/account-names.js';
