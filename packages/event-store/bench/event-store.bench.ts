/**
 * Throughput of the SQLite event store on a temporary file, set side by side with a saved baseline.
 *
 *   pnpm --filter @gram/event-store bench                    run, print the table, exit 1 if a target is missed
 *   pnpm --filter @gram/event-store bench --save-baseline    also store these figures as bench/baseline.json
 *
 * The figures of every run are also written to bench-results/event-store.json (ignored by git) for tools that
 * collect results. Durability is as in production (WAL, synchronous=FULL): every acknowledged append is fsynced.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventStore, NewEvent } from '../src/event-store.js';
import { openSqliteEventStore } from '../src/sqlite-event-store.js';

interface Metric {
  name: string;
  unit: string;
  /** the figure must reach this to pass; informational when absent */
  target?: number;
  measure: () => Promise<number>;
}

type Figures = Record<string, number>;

const benchDir = dirname(fileURLToPath(import.meta.url));
const baselinePath = join(benchDir, 'baseline.json');
const resultsPath = join(benchDir, '..', 'bench-results', 'event-store.json');
const saveBaseline = process.argv.includes('--save-baseline');

/**
 * Typical events of the app: a post with a caption, and tracing metadata. Built once and cycled, so that the
 * figures measure the store (serialising, checking, writing) rather than the caller building payloads.
 */
const postEvents: NewEvent[] = Array.from({ length: 1_000 }, (_, i) => ({
  type: 'PostCreated',
  data: {
    postId: randomUUID(),
    authorId: randomUUID(),
    caption: `Sunset over the harbour, day ${i} of the trip #travel #photography`,
    mediaIds: [randomUUID()],
    createdAt: new Date().toISOString(),
  },
  metadata: { correlationId: randomUUID(), actorId: randomUUID() },
}));

/** The i-th event; with `idGiven`, carrying a random (v4) id chosen by the caller, as a retrying client would. */
function postEvent(i: number, idGiven = false): NewEvent {
  const event = postEvents[i % postEvents.length] as NewEvent;
  return idGiven ? { ...event, id: randomUUID() } : event;
}

async function perSecond(count: number, run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await run();
  return count / ((performance.now() - started) / 1000);
}

/** `writers` concurrent writers, each appending `appendsEach` single events to its own stream, one at a time. */
function singleAppends(store: EventStore, writers: number, appendsEach: number): Promise<number> {
  return perSecond(writers * appendsEach, async () => {
    await Promise.all(
      Array.from({ length: writers }, async () => {
        const streamId = `post-${randomUUID()}`;
        for (let i = 0; i < appendsEach; i++) {
          await store.appendToStream(streamId, [postEvent(i)], {
            expectedRevision: i === 0 ? 'no_stream' : i - 1,
          });
        }
      }),
    );
  });
}

function batchedAppends(
  store: EventStore,
  batches: number,
  batchSize: number,
  idsGiven = false,
): Promise<number> {
  return perSecond(batches * batchSize, async () => {
    for (let b = 0; b < batches; b++) {
      const batch = Array.from({ length: batchSize }, (_, i) => postEvent(b * batchSize + i, idsGiven));
      await store.appendToStream(`import-${randomUUID()}`, batch, { expectedRevision: 'no_stream' });
    }
  });
}

async function readAllInPages(store: EventStore, pageSize: number): Promise<number> {
  let read = 0;
  const started = performance.now();
  for (let after = 0; ; ) {
    const page = await store.readAll({ after, maxCount: pageSize });
    if (page.length === 0) break;
    read += page.length;
    after = (page.at(-1) as { position: number }).position;
  }
  return read / ((performance.now() - started) / 1000);
}

/**
 * One account's events out of the whole log (readByActor scans it: see the SQLite store), in pages of 1,000:
 * the events of the log passed over per second, the figure that says how long "download your data" reads.
 */
async function readByActorScan(store: EventStore): Promise<number> {
  const head = await store.headPosition();
  const actorId = ((postEvents[7] as NewEvent).metadata as { actorId: string }).actorId;
  const started = performance.now();
  for (let after = 0; ; ) {
    const page = await store.readByActor(actorId, { after, maxCount: 1_000 });
    if (page.length === 0) break;
    after = (page.at(-1) as { position: number }).position;
  }
  return head / ((performance.now() - started) / 1000);
}

async function subscriptionCatchUp(store: EventStore): Promise<number> {
  const head = await store.headPosition();
  let read = 0;
  const started = performance.now();
  for await (const event of store.subscribeToAll()) {
    read += 1;
    if (event.position >= head) break;
  }
  return read / ((performance.now() - started) / 1000);
}

function loadBaseline(): Figures {
  try {
    return (JSON.parse(readFileSync(baselinePath, 'utf8')) as { figures: Figures }).figures;
  } catch {
    return {};
  }
}

function formatNumber(value: number | undefined): string {
  return value === undefined ? '-' : Math.round(value).toLocaleString('en-US');
}

function printTable(metrics: Metric[], now: Figures, baseline: Figures): boolean {
  const rows = metrics.map((metric) => {
    const current = now[metric.name] as number;
    const before = baseline[metric.name];
    const ok = metric.target === undefined || current >= metric.target;
    return {
      cells: [
        `${metric.name} (${metric.unit})`,
        formatNumber(current),
        formatNumber(before),
        before === undefined ? '-' : `${(current / before).toFixed(2)}x`,
        metric.target === undefined ? '-' : `>= ${formatNumber(metric.target)}`,
        metric.target === undefined ? '-' : ok ? 'yes' : 'NO',
      ],
      ok,
    };
  });
  const header = ['metric', 'now', 'baseline', 'ratio', 'target', 'ok'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row.cells[column]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join(' | ');
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('-|-'));
  for (const row of rows) console.log(line(row.cells));
  return rows.every((row) => row.ok);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gram-event-store-bench-'));
  const store = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
  try {
    // Warm-up: JIT, page cache, prepared statements.
    await singleAppends(store, 4, 200);
    await batchedAppends(store, 50, 100);

    const metrics: Metric[] = [
      { name: 'append.single.1-writer', unit: 'appends/s', measure: () => singleAppends(store, 1, 3_000) },
      {
        name: 'append.single.16-writers',
        unit: 'appends/s',
        target: 5_000,
        measure: () => singleAppends(store, 16, 1_250),
      },
      {
        name: 'append.batch-100',
        unit: 'events/s',
        target: 50_000,
        measure: () => batchedAppends(store, 2_000, 100),
      },
      {
        // Store-generated ids are UUIDv7 (time-ordered), so the UNIQUE index on ids grows at its right edge.
        // Random ids chosen by callers land on random index pages: shown for comparison, without a target.
        name: 'append.batch-100.caller-v4-ids',
        unit: 'events/s',
        measure: () => batchedAppends(store, 500, 100, true),
      },
      {
        name: 'read-all.pages-1000',
        unit: 'events/s',
        target: 200_000,
        measure: () => readAllInPages(store, 1_000),
      },
      { name: 'read-by-actor.scan', unit: 'log events/s', measure: () => readByActorScan(store) },
      {
        name: 'read-all.subscription',
        unit: 'events/s',
        target: 200_000,
        measure: () => subscriptionCatchUp(store),
      },
    ];
    const now: Figures = {};
    for (const metric of metrics) now[metric.name] = await metric.measure();

    const events = await store.headPosition();
    console.log(
      `SQLite event store on ${dir} (WAL, synchronous=FULL), ${events.toLocaleString('en-US')} events in the log; ` +
        `node ${process.version}, ${availableParallelism()} CPUs\n`,
    );
    const allMet = printTable(metrics, now, loadBaseline());

    const record = {
      recordedAt: new Date().toISOString(),
      node: process.version,
      cpus: availableParallelism(),
      figures: Object.fromEntries(Object.entries(now).map(([name, value]) => [name, Math.round(value)])),
    };
    mkdirSync(dirname(resultsPath), { recursive: true });
    writeFileSync(resultsPath, `${JSON.stringify(record, null, 2)}\n`);
    if (saveBaseline) {
      writeFileSync(baselinePath, `${JSON.stringify(record, null, 2)}\n`);
      console.log(`\nbaseline saved to ${baselinePath}`);
    }
    if (!allMet) process.exitCode = 1;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
