export { buildIdentityApp, type IdentityAppOptions, identityRoutes } from './app.js';
export {
  createIdentityContext,
  defaultIdentitySettings,
  type IdentityContext,
  type IdentityDeps,
  type IdentitySettings,
} from './context.js';
export { AccessTokenIssuer } from './keys/access-tokens.js';
export { KeyStore, type PublicSigningJwk } from './keys/key-store.js';
export { PasswordHasher, type ScryptParameters } from './passwords/password-hasher.js';
export { RevocationCheck } from './sessions/revocation.js';
