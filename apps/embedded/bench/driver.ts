/**
 * What the gateway and content benchmarks share on the driver's side: seeding the event store in concurrent
 * chunks, running one scenario in the forked load generator (load.ts), and a CPU profile of the servers over a
 * measured run.
 */
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import type { EventStore } from '@gram/event-store';
import { type DomainEvent, toStoredEvent } from '@gram/events';
import type { LoadFigures, Scenario } from './load.js';

export type { LoadFigures, Scenario } from './load.js';

/** Seeds one event as the first of its stream. */
export async function append(store: EventStore, streamId: string, event: DomainEvent): Promise<void> {
  await store.appendToStream(streamId, [toStoredEvent(event)], { expectedRevision: 'no_stream' });
}

/** Runs appends concurrently in chunks, so the store groups them into a few transactions. */
export async function inChunks<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

/** Runs `scenario` in a fresh load generator process and answers its figures. */
export function load(scenario: Scenario): Promise<LoadFigures> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./load.ts', import.meta.url));
    child.once('message', (figures) => resolve(figures as LoadFigures));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load generator exited with ${code}`));
    });
    child.send(scenario);
  });
}

/**
 * The CPU profile of this very process (where the servers run) over `work`, written to
 * `<dir>/<name>.cpuprofile` with node:inspector; without `dir`, just `work`.
 */
export async function profiled<T>(dir: string | undefined, name: string, work: () => Promise<T>): Promise<T> {
  if (!dir) return work();
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
    );
  await post('Profiler.enable');
  await post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    console.log(`  cpu profile: ${file}`);
    session.disconnect();
  }
}
