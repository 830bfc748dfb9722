// The thread of a FieldDecryptionWorker (pool.ts). Plain JavaScript, so that it starts in any process (a service
// under tsx, a test runner, a CLI): it registers tsx itself before importing the field cipher, the one place the
// format of an encrypted field is written down.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { decryptField } = await import('../field-cipher.ts');

parentPort.on('message', ({ id, keys, jobs }) => {
  const plaintexts = [];
  for (const [index, { key, accountId, eventType, field, value }] of jobs.entries()) {
    try {
      plaintexts.push(decryptField(Buffer.from(keys[key]), { accountId, eventType, field }, value));
    } catch {
      // The job names the field: the caller raises FieldDecryptionFailed with it.
      parentPort.postMessage({ id, failed: index });
      return;
    }
  }
  parentPort.postMessage({ id, plaintexts });
});
