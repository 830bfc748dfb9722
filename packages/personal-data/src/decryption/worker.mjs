// The thread of a FieldDecryptionWorker (pool.ts). Plain JavaScript, so that it starts in any process (a service
// under tsx, a test runner, a CLI): it registers tsx itself before importing the batch decryption (batch.ts, over
// the field cipher, the one place the format of an encrypted field is written down). tsx is a dependency of this
// package for it: a service deployed with its production dependencies alone (the Dockerfile) must find it from here.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { decryptBatch } = await import('./batch.ts');

parentPort.on('message', ({ id, batch }) => parentPort.postMessage({ id, ...decryptBatch(batch) }));
// Until this arrives the pool decrypts in line: starting a thread that loads tsx takes a fifth of a second.
parentPort.postMessage({ ready: true });
