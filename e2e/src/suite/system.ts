import type { KeyStore } from '@gram/identity';

/** What the shared suite needs of a running system, whichever mode runs it. */
export interface SystemUnderTest {
  readonly mode: 'embedded' | 'distributed';
  /** the gateway */
  readonly url: string;
  /** identity's signing key: to mint tokens the API must refuse (expired ones) */
  signingKeys(): Promise<KeyStore>;
}

/** Set by the mode's `beforeAll`; read by the tests once it ran. */
export type SystemRef = () => SystemUnderTest;

/**
 * The write limit the suite's systems are started with (WRITES_PER_USER_PER_MINUTE): low enough that a test
 * reaches it in a moment, above what any user of the other tests writes in a minute.
 */
export const writesPerUserPerMinute = 100;
