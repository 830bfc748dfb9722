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

/**
 * Identity's limits for the suite's systems: every test signs its accounts up from one address, and the
 * address-wide counters are shared by the suites run against one Redis. The per-account limits keep their
 * defaults: the suite tests them.
 */
export const accessLimitsEnv = { SIGNUPS_PER_IP: '1000000', LOGIN_FAILURES_PER_IP: '1000000' };
