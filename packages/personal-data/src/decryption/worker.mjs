// The thread of a FieldDecryptionWorker (pool.ts). Plain JavaScript, so that it starts in any process (a service
// under tsx, a test runner, a CLI): it registers tsx itself before importing the field cipher, the one place the
// format of an encrypted field is written down. tsx is a dependency of this package for it: a service deployed with
// its production dependencies alone (the Dockerfile) must find it from here.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { decryptField } = await import('../field-cipher.ts');

parentPort.on('message', ({ id, batch }) => {
  const { keys, accounts, places, values, keyOf, placeOf } = batch;
  const keyBuffers = keys.map((key) => Buffer.from(key.buffer, key.byteOffset, key.byteLength));
  const split = places.map((place) => place.split('\n'));
  // One context object per (account, place) met, not per field.
  const contexts = new Map();
  const plaintexts = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const contextKey = keyOf[i] * places.length + placeOf[i];
    let context = contexts.get(contextKey);
    if (context === undefined) {
      const [eventType, field] = split[placeOf[i]];
      context = { accountId: accounts[keyOf[i]], eventType, field };
      contexts.set(contextKey, context);
    }
    try {
      plaintexts[i] = decryptField(keyBuffers[keyOf[i]], context, values[i]);
    } catch {
      // The index names the field: the caller raises FieldDecryptionFailed with it.
      parentPort.postMessage({ id, failed: i });
      return;
    }
  }
  parentPort.postMessage({ id, plaintexts });
});
