/**
 * The media service in embedded mode (SQLite event store and disk storage in a temp dir) for
 * media.bench.ts, in a process of its own so its memory is measured alone: it samples its RSS every 10 ms
 * and reports the peak on request.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteEventStore } from '@gram/event-store';
import { createTestTokenIssuer } from '@gram/service-kit/testing';
import { buildMediaApp } from '../src/app.js';
import { diskMediaStorage } from '../src/storage/disk-storage.js';
import { registerUser } from '../test/fixtures.js';

export type ServerMessage =
  | { kind: 'ready'; port: number; token: string; rss: number }
  | { kind: 'peak'; rss: number; uploads: number };
export type DriverMessage = { kind: 'reset-peak' } | { kind: 'report' } | { kind: 'stop' };

const send = (message: ServerMessage) => process.send?.(message);

const dir = await mkdtemp(join(tmpdir(), 'media-bench-'));
const store = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
const issuer = await createTestTokenIssuer();
const app = buildMediaApp({
  store,
  storage: diskMediaStorage(join(dir, 'media')),
  publicUrl: 'http://127.0.0.1',
  verifier: issuer.verifier,
});
const userId = await registerUser(store);
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;

let peak = 0;
const sample = () => {
  peak = Math.max(peak, process.memoryUsage().rss);
};
setInterval(sample, 10).unref();

process.on('message', async (message: DriverMessage) => {
  switch (message.kind) {
    case 'reset-peak':
      peak = 0;
      sample();
      break;
    case 'report':
      sample();
      send({ kind: 'peak', rss: peak, uploads: await store.headPosition() });
      break;
    case 'stop':
      await app.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
      process.exit(0);
  }
});
send({ kind: 'ready', port, token: await issuer.mint(userId), rss: process.memoryUsage().rss });
