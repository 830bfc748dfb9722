/**
 * The export builds of exports.bench.ts, in a process of their own: one account's archives built one after the
 * other over the log the driver wrote, so the memory measured is the builds' alone, not the driver's (which held
 * the log's generation), nor that of the other account's builds. Run with --expose-gc. Reports its figures to the
 * driver over IPC.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { type EventStore, openSqliteEventStore } from '@gram/event-store';
import { personalFields } from '@gram/events';
import { personalDataEventStore, personalDataKeysFromEnv } from '@gram/personal-data';
import { accountEvents, eventPageSize } from '../src/exports/archive/account-events.js';
import { type ArchiveSources, type Follower, writeExportArchive } from '../src/exports/archive/index.js';
import { diskExportStorage } from '../src/exports/export-storage.js';

export interface BuilderOptions {
  /** the log's directory: events.sqlite, keys.sqlite and the master key */
  dir: string;
  accountId: string;
  runs: number;
  photoBytes: number;
}

export interface Build {
  ms: number;
  cpuMs: number;
  bytes: number;
  rssBefore: number;
  /** the RSS high-water mark of the build */
  peakRss: number;
  /** the largest RSS sampled every 2 ms during the build */
  sampledPeakRss: number;
  /** time awaiting the store's reads during the build: the log scan, and every stream folded */
  byActorMs: number;
  streamMs: number;
  streamReads: number;
}

export interface BuilderReport {
  /** the RSS of this process before its first build: modules loaded, stores open, nothing of a build held */
  idleRss: number;
  /** the warm-up build, then the measured ones */
  warmUp: Build;
  builds: Build[];
  /** the account's events read through the whole log as the archive reads them, raw and decrypted */
  scans: { rawMs: number; decryptedMs: number; events: number }[];
  /** where the peaks come from */
  peakSource: 'kernel' | 'sampled';
}

const gc = (globalThis as { gc?: () => void }).gc;

/** The process's RSS high-water mark since the last reset, from the kernel; undefined where there is no /proc. */
function kernelPeakRss(): number | undefined {
  if (!existsSync('/proc/self/status')) return undefined;
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return kb === undefined ? undefined : Number(kb) * 1024;
}

/** Resets the kernel's RSS high-water mark to the current RSS; false where it cannot (no /proc). */
function resetKernelPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** Time spent awaiting the store's reads, by kind of read. */
class TimedStore {
  byActorMs = 0;
  streamMs = 0;
  streamReads = 0;
  readonly store: EventStore;
  constructor(inner: EventStore) {
    this.store = {
      ...inner,
      readByActor: async (...args) => {
        const started = performance.now();
        try {
          return await inner.readByActor(...args);
        } finally {
          this.byActorMs += performance.now() - started;
        }
      },
      readStream: async (...args) => {
        const started = performance.now();
        try {
          return await inner.readStream(...args);
        } finally {
          this.streamMs += performance.now() - started;
          this.streamReads += 1;
        }
      },
    };
  }
  reset(): void {
    this.byActorMs = 0;
    this.streamMs = 0;
    this.streamReads = 0;
  }
}

async function run({ dir, accountId, runs, photoBytes }: BuilderOptions): Promise<BuilderReport> {
  const raw = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
  // identity's store as identity opens it: data keys in keys.sqlite under its data dir, read through the
  // decrypting store
  const store = personalDataEventStore(raw, personalDataKeysFromEnv({}, dir), personalFields);
  const storage = diskExportStorage(join(dir, 'exports'));
  const timed = new TimedStore(store);
  const photo = Buffer.alloc(photoBytes, 0x5a);
  const followers: Follower[] = Array.from({ length: 300 }, (_, i) => ({
    id: randomUUID(),
    userName: `follower_${i}`,
    name: `Follower ${i}`,
    profilePic: 'https://static.gram.example/default-profile.png',
  }));
  const sources: ArchiveSources = {
    store: timed.store,
    async *followersOf() {
      yield* followers;
    },
    // 0 bytes: no photo in the archive (as if every file were gone), to see what the photos' entries cost
    mediaFile: async () => (photoBytes > 0 ? Readable.from([photo]) : undefined),
  };

  /** One build, as the export job runs it (jobs.ts): the archive streamed into the disk storage. */
  async function build(): Promise<Build> {
    gc?.();
    gc?.();
    timed.reset();
    const rssBefore = process.memoryUsage.rss();
    const kernel = resetKernelPeakRss();
    let sampledPeakRss = rssBefore;
    const sampler = setInterval(() => {
      sampledPeakRss = Math.max(sampledPeakRss, process.memoryUsage.rss());
    }, 2);
    const exportId = randomUUID();
    const cpu = process.cpuUsage();
    const started = performance.now();
    const pipe = new PassThrough();
    const [{ bytes: written }, { bytes }] = await Promise.all([
      writeExportArchive(accountId, sources, pipe),
      storage.put(accountId, exportId, pipe),
    ]);
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    clearInterval(sampler);
    sampledPeakRss = Math.max(sampledPeakRss, process.memoryUsage.rss());
    if (written !== bytes) throw new Error(`the builder wrote ${written} bytes, the storage kept ${bytes}`);
    await storage.delete(accountId, exportId);
    return {
      ms,
      cpuMs: (used.user + used.system) / 1000,
      bytes,
      rssBefore,
      peakRss: Math.max(sampledPeakRss, (kernel ? kernelPeakRss() : undefined) ?? 0),
      sampledPeakRss,
      byActorMs: timed.byActorMs,
      streamMs: timed.streamMs,
      streamReads: timed.streamReads,
    };
  }

  /** The account's events, read through the whole log as the archive reads them: raw SQLite, then decrypted. */
  async function scan(): Promise<{ rawMs: number; decryptedMs: number; events: number }> {
    let started = performance.now();
    let after: number | undefined;
    for (;;) {
      const page = await raw.readByActor(accountId, { after, maxCount: eventPageSize });
      if (page.length < eventPageSize) break;
      after = page.at(-1)?.position;
    }
    const rawMs = performance.now() - started;
    started = performance.now();
    let events = 0;
    for await (const _event of accountEvents(store, accountId)) events += 1;
    return { rawMs, decryptedMs: performance.now() - started, events };
  }

  try {
    gc?.();
    const idleRss = process.memoryUsage.rss();
    const warmUp = await build();
    const builds: Build[] = [];
    for (let i = 0; i < runs; i++) builds.push(await build());
    const scans = [];
    for (let i = 0; i < runs; i++) scans.push(await scan());
    return {
      idleRss,
      warmUp,
      builds,
      scans,
      peakSource: kernelPeakRss() === undefined ? 'sampled' : 'kernel',
    };
  } finally {
    await raw.close();
  }
}

if (process.send) {
  const options = JSON.parse(process.argv[2] as string) as BuilderOptions;
  const report = await run(options);
  process.send(report, () => process.disconnect());
}
