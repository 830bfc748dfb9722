import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import {
  type AccessTokenVerifier,
  accessTokenAudience,
  accessTokenIssuer,
  jwksAccessTokenVerifier,
} from './auth.js';
import { newId } from './ids.js';

/**
 * A stand-in for identity's token signing in the tests of other services: real EdDSA keys and
 * real JWTs with identity's claims, verified through the same JWKS verifier production uses.
 */
export async function createTestTokenIssuer(): Promise<{
  verifier: AccessTokenVerifier;
  /** the public key as identity serves it at `/.well-known/jwks.json` */
  jwks: { keys: JWK[] };
  mint: (userId: string, options?: { sessionId?: string; expiresIn?: string }) => Promise<string>;
}> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const kid = newId();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  const jwks = { keys: [jwk] };
  return {
    verifier: jwksAccessTokenVerifier(jwks),
    jwks,
    mint: (userId, options = {}) =>
      new SignJWT({ sid: options.sessionId ?? newId() })
        .setProtectedHeader({ alg: 'EdDSA', kid })
        .setSubject(userId)
        .setIssuer(accessTokenIssuer)
        .setAudience(accessTokenAudience)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '15m')
        .sign(privateKey),
  };
}
