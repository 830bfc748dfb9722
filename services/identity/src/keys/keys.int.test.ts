import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessTokenAudience, accessTokenIssuer, jwksAccessTokenVerifier } from '@gram/service-kit';
import { createTestTokenIssuer } from '@gram/service-kit/testing';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityHarness } from '../testing/identity-harness.js';
import { AccessTokenIssuer } from './access-tokens.js';
import { KeyStore, keyFileName } from './key-store.js';

let identity: IdentityHarness;
beforeAll(async () => {
  identity = await IdentityHarness.start();
});
afterAll(() => identity.stop());

describe('GET /.well-known/jwks.json', () => {
  it('publishes the public signing key only: no private part', async () => {
    const res = await identity.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(res.statusCode).toBe(200);
    const { keys } = res.json();
    expect(keys).toEqual([
      {
        kty: 'OKP',
        crv: 'Ed25519',
        x: expect.any(String),
        kid: identity.keys.signingKey.kid,
        alg: 'EdDSA',
        use: 'sig',
      },
    ]);
    expect(keys[0]).not.toHaveProperty('d');
    expect(res.headers['cache-control']).toMatch(/max-age/);
  });

  it("verifies identity's access tokens through service-kit's JWKS verifier, as other services do", async () => {
    const account = await identity.account();
    const jwks = (await identity.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    const claims = await jwksAccessTokenVerifier(jwks).verify(account.accessToken);
    expect(claims).toEqual({ userId: account.userId, sessionId: account.refreshToken.split('.')[0] });
  });
});

describe('tokens identity did not sign', () => {
  it('answers 401 to a well-formed token signed by another key, even with the right kid', async () => {
    const account = await identity.account();
    const stranger = await createTestTokenIssuer();
    expect((await identity.patchMe({}, await stranger.mint(account.userId))).statusCode).toBe(401);

    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forged = await new SignJWT({ sid: account.refreshToken.split('.')[0] })
      .setProtectedHeader({ alg: 'EdDSA', kid: identity.keys.signingKey.kid })
      .setIssuer(accessTokenIssuer)
      .setAudience(accessTokenAudience)
      .setSubject(account.userId)
      .setIssuedAt()
      .setExpirationTime('15m')
      .sign(privateKey);
    expect((await identity.patchMe({}, forged)).statusCode).toBe(401);
  });

  it('answers 401 to an expired token of its own key', async () => {
    const account = await identity.account();
    const expired = await new AccessTokenIssuer(identity.keys, 60).issue(
      { userId: account.userId, sessionId: account.refreshToken.split('.')[0] ?? '' },
      new Date(Date.now() - 10 * 60_000),
    );
    expect((await identity.patchMe({}, expired)).statusCode).toBe(401);
  });
});

describe('signing keys in DATA_DIR (embedded mode)', () => {
  it('keeps the key across restarts with the same DATA_DIR: tokens stay valid', async () => {
    const first = await IdentityHarness.start();
    const account = await first.account();
    await first.stop({ keepData: true });

    const second = await IdentityHarness.start({ dataDir: first.dataDir });
    try {
      expect(second.keys.signingKey.kid).toBe(first.keys.signingKey.kid);
      expect((await second.patchMe({ bio: 'still me' }, account.accessToken)).statusCode).toBe(200);
      expect((await second.refresh(account.refreshToken)).statusCode).toBe(200);
    } finally {
      await second.stop();
      await rm(first.dataDir, { recursive: true, force: true });
    }
  });

  it('writes the key file readable by its owner only', async () => {
    const mode = (await stat(join(identity.dataDir, 'keys', keyFileName))).mode & 0o777;
    expect(mode).toBe(0o600);
  });

  it('ends with one key when several instances start together on an empty DATA_DIR', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gram-keys-'));
    try {
      const stores = await Promise.all(Array.from({ length: 5 }, () => KeyStore.inDirectory(dir)));
      const file = JSON.parse(await readFile(join(dir, keyFileName), 'utf8'));
      expect(new Set(stores.map((s) => s.signingKey.kid))).toEqual(new Set([file.kid]));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('signing keys by configuration (distributed mode)', () => {
  it('takes a PKCS#8 PEM key and its kid, and signs tokens the JWKS verifies', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const keys = await KeyStore.fromEnvironment({
      IDENTITY_SIGNING_KEY: pem,
      IDENTITY_SIGNING_KID: 'key-2025',
    });
    const token = await new AccessTokenIssuer(keys).issue({ userId: 'u', sessionId: 's' }, new Date());
    expect(await jwksAccessTokenVerifier(keys.jwks()).verify(token)).toEqual({ userId: 'u', sessionId: 's' });
    expect(keys.jwks().keys.map((k) => k.kid)).toEqual(['key-2025']);
  });

  it('takes a private JWK, and publishes retired public keys beside it for a rotation', async () => {
    const current = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const retired = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const retiredJwk = { ...(await exportJWK(retired.privateKey)), kid: 'old' };
    const keys = await KeyStore.fromEnvironment({
      IDENTITY_SIGNING_KEY: JSON.stringify(await exportJWK(current.privateKey)),
      IDENTITY_SIGNING_KID: 'new',
      IDENTITY_VERIFICATION_KEYS: JSON.stringify({ keys: [retiredJwk] }),
    });
    const jwks = keys.jwks();
    expect(jwks.keys.map((k) => k.kid)).toEqual(['new', 'old']);
    expect(JSON.stringify(jwks)).not.toContain('"d"');

    const oldToken = await new SignJWT({ sid: 's' })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'old' })
      .setIssuer(accessTokenIssuer)
      .setAudience(accessTokenAudience)
      .setSubject('u')
      .setExpirationTime('5m')
      .sign(retired.privateKey);
    expect(await jwksAccessTokenVerifier(jwks).verify(oldToken)).toEqual({ userId: 'u', sessionId: 's' });
  });

  it('refuses a configuration without a kid, or with a key that is not Ed25519', async () => {
    await expect(KeyStore.fromEnvironment({ IDENTITY_SIGNING_KEY: '{}' })).rejects.toThrow(
      /IDENTITY_SIGNING_KID/,
    );
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    await expect(
      KeyStore.fromEnvironment({ IDENTITY_SIGNING_KEY: rsa.toString(), IDENTITY_SIGNING_KID: 'k' }),
    ).rejects.toThrow();
  });
});
