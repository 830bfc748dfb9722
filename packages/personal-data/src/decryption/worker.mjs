// The thread of a FieldDecryptionWorker (pool.ts). Plain JavaScript throughout (batch.mjs, ../field-format.mjs),
// so that it starts in any process without a TypeScript loader, in about 30 ms.
import { parentPort } from 'node:worker_threads';
import { decryptBatch } from './batch.mjs';

parentPort.on('message', ({ id, batch }) => parentPort.postMessage({ id, ...decryptBatch(batch) }));
