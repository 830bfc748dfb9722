/**
 * The media service in embedded mode (SQLite event store and disk storage in a temp dir) for
 * media.bench.ts, in a process of its own so its memory is measured alone: it reports its peak RSS and
 * the CPU it used (all its threads) since the driver's last reset.
 */
import { readFileSync, writeFileSync } from 'node:fs';
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
  | { kind: 'peak'; rss: number; uploads: number; cpuSeconds: number };
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

let cpuSince = process.cpuUsage();

/**
 * The peak RSS since the last reset. On Linux the kernel keeps it exactly (VmHWM in /proc/self/status, reset by
 * writing 5 to /proc/self/clear_refs): no spike escapes and nothing is spent sampling. Elsewhere, RSS is
 * sampled every 10 ms (memoryUsage.rss() alone: memoryUsage() also walks the V8 heap spaces, which at that
 * rate took a few percent of the server's CPU in a profile of this bench).
 */
function peakRss(): { reset(): void; read(): number } {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    const read = () => {
      const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
      if (kb === undefined) throw new Error('no VmHWM in /proc/self/status');
      return Number(kb) * 1024;
    };
    read();
    return { reset: () => writeFileSync('/proc/self/clear_refs', '5'), read };
  } catch {
    let peak = 0;
    const sample = () => {
      peak = Math.max(peak, process.memoryUsage.rss());
    };
    setInterval(sample, 10).unref();
    return {
      reset: () => {
        peak = 0;
        sample();
      },
      read: () => {
        sample();
        return peak;
      },
    };
  }
}
const peak = peakRss();

process.on('message', async (message: DriverMessage) => {
  switch (message.kind) {
    case 'reset-peak':
      peak.reset();
      cpuSince = process.cpuUsage();
      break;
    case 'report': {
      const cpu = process.cpuUsage(cpuSince);
      send({
        kind: 'peak',
        rss: peak.read(),
        uploads: await store.headPosition(),
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
      });
      break;
    }
    case 'stop':
      await app.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
      process.exit(0);
  }
});
send({ kind: 'ready', port, token: await issuer.mint(userId), rss: process.memoryUsage().rss });
