import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { newId } from '@gram/service-kit';
import {
  type CryptoKey,
  exportJWK,
  generateKeyPair,
  importJWK,
  importPKCS8,
  type JSONWebKeySet,
  type JWK,
} from 'jose';

/** The public half of an Ed25519 signing key, as published in the JWKS. */
export interface PublicSigningJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
}

/** What the key file in DATA_DIR holds. Readable by its owner only (mode 0600). */
interface KeyFile {
  kid: string;
  privateJwk: JWK;
  createdAt: string;
  /** public keys of retired signing keys whose tokens must still verify during a rotation */
  verificationKeys?: JWK[];
}

export const keyFileName = 'identity-signing-key.json';

/**
 * Identity's token keys: one Ed25519 private key that signs access tokens, and the public keys
 * that verify them. The JWKS publishes the public keys only, so every other service can verify
 * identity's tokens without being able to mint one. It may list more keys than the one signing
 * (a retired key whose tokens are still alive), which is what a rotation needs.
 *
 * - Embedded mode: `KeyStore.inDirectory(${DATA_DIR}/keys)` generates the key on first start and
 *   keeps it in a 0600 file, so tokens stay valid across restarts.
 * - Distributed mode: `KeyStore.fromEnvironment()` takes it from IDENTITY_SIGNING_KEY (a private
 *   JWK as JSON, or PKCS#8 PEM) and IDENTITY_SIGNING_KID; IDENTITY_VERIFICATION_KEYS may add
 *   retired public keys (a JWKS or an array of JWKs).
 */
export class KeyStore {
  private constructor(
    readonly signingKey: SigningKey,
    private readonly publicKeys: readonly PublicSigningJwk[],
  ) {}

  /** The JWKS: public keys only, the signing key's first. */
  jwks(): { keys: PublicSigningJwk[] } {
    return { keys: this.publicKeys.map((key) => ({ ...key })) };
  }

  /** A fresh key held in memory only (tests, throwaway instances). */
  static async generate(): Promise<KeyStore> {
    const file = await newKeyFile();
    return KeyStore.fromPrivateJwk(file.kid, file.privateJwk);
  }

  static async fromPrivateJwk(kid: string, privateJwk: JWK, verificationKeys: JWK[] = []): Promise<KeyStore> {
    const publicKey = toPublicSigningJwk(kid, privateJwk);
    if (typeof privateJwk.d !== 'string') throw new Error(`signing key ${kid} has no private part`);
    const privateKey = await importJWK({ ...privateJwk, alg: 'EdDSA' }, 'EdDSA');
    if (privateKey instanceof Uint8Array) throw new Error(`signing key ${kid} is not an Ed25519 key`);
    const others = verificationKeys
      .map((jwk) => toPublicSigningJwk(requireKid(jwk), jwk))
      .filter((jwk) => jwk.kid !== kid);
    return new KeyStore({ kid, privateKey }, [publicKey, ...others]);
  }

  /** Load the key kept in `directory`, or generate and keep one when there is none yet. */
  static async inDirectory(directory: string): Promise<KeyStore> {
    const path = join(directory, keyFileName);
    const file = (await readKeyFile(path)) ?? (await createKeyFile(directory, path));
    return KeyStore.fromPrivateJwk(file.kid, file.privateJwk, file.verificationKeys ?? []);
  }

  /** Distributed mode: the key comes from configuration (a secret store), never generated. */
  static async fromEnvironment(env: NodeJS.ProcessEnv = process.env): Promise<KeyStore> {
    const key = env.IDENTITY_SIGNING_KEY?.trim();
    const kid = env.IDENTITY_SIGNING_KID?.trim();
    if (!key || !kid) throw new Error('IDENTITY_SIGNING_KEY and IDENTITY_SIGNING_KID must both be set');
    const privateJwk = key.startsWith('-----BEGIN')
      ? await exportJWK(await importPKCS8(key, 'EdDSA', { extractable: true }))
      : parseJson<JWK>(key, 'IDENTITY_SIGNING_KEY');
    return KeyStore.fromPrivateJwk(kid, privateJwk, parseVerificationKeys(env.IDENTITY_VERIFICATION_KEYS));
  }

  /** The key by configuration when IDENTITY_SIGNING_KEY is set, otherwise the one kept under `dataDir`. */
  static async forEnvironment(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<KeyStore> {
    return env.IDENTITY_SIGNING_KEY
      ? KeyStore.fromEnvironment(env)
      : KeyStore.inDirectory(join(dataDir, 'keys'));
  }
}

function toPublicSigningJwk(kid: string, jwk: JWK): PublicSigningJwk {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new Error(`key ${kid} is not an Ed25519 key (kty OKP, crv Ed25519)`);
  }
  // Built field by field: whatever else the JWK holds (above all `d`) is never published.
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid, alg: 'EdDSA', use: 'sig' };
}

function requireKid(jwk: JWK): string {
  if (typeof jwk.kid !== 'string' || jwk.kid === '') throw new Error('a verification key has no kid');
  return jwk.kid;
}

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${what} is neither a PEM key nor valid JSON`);
  }
}

function parseVerificationKeys(text: string | undefined): JWK[] {
  if (!text?.trim()) return [];
  const parsed = parseJson<JWK[] | JSONWebKeySet>(text, 'IDENTITY_VERIFICATION_KEYS');
  return Array.isArray(parsed) ? parsed : parsed.keys;
}

async function newKeyFile(): Promise<KeyFile> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { kid: newId(), privateJwk: await exportJWK(privateKey), createdAt: new Date().toISOString() };
}

async function readKeyFile(path: string): Promise<KeyFile | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as KeyFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Two processes starting together on one DATA_DIR must end up with one key: the file is written
 * whole under a temporary name, then hard-linked to its final name, which fails if another
 * process got there first, in which case that process's key is the one.
 */
async function createKeyFile(directory: string, path: string): Promise<KeyFile> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const file = await newKeyFile();
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, path);
    return file;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const existing = await readKeyFile(path);
    if (!existing) throw error;
    return existing;
  } finally {
    await unlink(temporary);
  }
}
