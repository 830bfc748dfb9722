import { KeyStoreUnavailable, KeyUnknown } from '@gram/personal-data';
import { MongoNetworkError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { isTransientConsumerError } from './consumer.js';

describe('the failures the notifications consumer waits out', () => {
  it('waits for a data key that cannot be had now, however deep in the failure, as for an unreachable MongoDB', () => {
    const down = new KeyStoreUnavailable('identity answered 503 for the data key of a');
    expect(isTransientConsumerError(down)).toBe(true);
    expect(isTransientConsumerError(new KeyUnknown('a'))).toBe(true);
    expect(isTransientConsumerError(new Error('decryption failed', { cause: down }))).toBe(true);
    expect(isTransientConsumerError(new MongoNetworkError('connection refused'))).toBe(true);
  });

  it('lets any other failure count towards the dead-letter topic', () => {
    expect(
      isTransientConsumerError(new TypeError("Cannot read properties of undefined (reading 'at')")),
    ).toBe(false);
    expect(
      isTransientConsumerError(new Error('an encrypted field arrived, and no data keys were given')),
    ).toBe(false);
  });
});
