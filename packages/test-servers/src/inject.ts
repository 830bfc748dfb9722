import { inject, type ProvidedContext } from 'vitest';
import { isCi } from './ci.js';
import './provided-context.js';

type ServerKey = 'redisUrl' | 'kafkaBrokers' | 'mongoUrl' | 's3Url' | 's3Credentials';

/**
 * A test server's address for a test file, or undefined when the server was not started, so the file can
 * `describe.skipIf(url === undefined)`. In CI it throws instead: nothing may be skipped for lack of a server
 * there, not even one left out of TEST_SERVERS.
 *
 *   const redisUrl = injectServer('redisUrl');
 *   describe.skipIf(redisUrl === undefined)('...', () => { ... });
 */
export function injectServer<K extends ServerKey>(key: K): ProvidedContext[K] {
  const value = inject(key);
  if (value === undefined && isCi()) {
    throw new Error(
      `no test server provides ${key} (TEST_SERVERS=${process.env.TEST_SERVERS ?? 'all'}); in CI every server ` +
        'a test needs must run. Is the file in the int or e2e vitest project?',
    );
  }
  return value;
}
