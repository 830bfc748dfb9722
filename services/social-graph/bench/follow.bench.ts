/**
 * Follow throughput and latency of the social-graph service over real HTTP on a loopback port, with
 * a SQLite event store on a temporary file, set side by side with a saved baseline.
 *
 *   pnpm --filter @gram/social-graph bench                    run and print the table
 *   pnpm --filter @gram/social-graph bench --save-baseline    also store these figures as bench/baseline.json
 *   options: --duration <s> (default 10), --connections <n> (default 10)
 *
 * Every request is a new follow (a distinct follower/followee pair, so a real append, not a no-op):
 * authentication, the follower's and the followee's account checks, the load of the follow stream
 * and a durable append. The service runs in a child process (follow-server.ts) so that autocannon
 * does not share its event loop. The run fails if any request does not answer 204, or if the log
 * does not hold one UserFollowed per 204. Both processes share the machine's CPUs: the figures are
 * for comparing runs on one kind of machine, not a capacity plan.
 */
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { DriverMessage, ServerCount, ServerMessage, ServerReady } from './follow-server.js';

type Figures = Record<string, number>;
interface Metric {
  name: string;
  unit: string;
  /** whether a larger figure is better (throughput) or worse (latency) */
  higherIsBetter: boolean;
}

const benchDir = dirname(fileURLToPath(import.meta.url));
const baselinePath = join(benchDir, 'baseline.json');
const saveBaseline = process.argv.includes('--save-baseline');
const duration = numberArg('--duration', 10);
const connections = numberArg('--connections', 10);
const warmupSeconds = 2;

const metrics: Metric[] = [
  { name: 'follow.throughput', unit: 'req/s', higherIsBetter: true },
  { name: 'follow.latency.p50', unit: 'ms', higherIsBetter: false },
  { name: 'follow.latency.p99', unit: 'ms', higherIsBetter: false },
];

function numberArg(flag: string, fallback: number): number {
  const index = process.argv.indexOf(flag);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag} needs a positive number`);
  return value;
}

function startServer() {
  const child = fork(join(benchDir, 'follow-server.ts'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  /** the server's next message of this kind; a server that stays silent for `timeoutMs` fails the run */
  const next = <T extends ServerMessage>(kind: T['kind'], timeoutMs = 120_000) =>
    new Promise<T>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      const onMessage = (message: ServerMessage) => {
        if (message.kind !== kind) return;
        done();
        resolve(message as T);
      };
      const onExit = (code: number | null) => {
        done();
        reject(new Error(`the bench server exited (code ${code})`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`the bench server sent no '${kind}' within ${timeoutMs} ms`));
      }, timeoutMs);
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const tell = (message: DriverMessage) => child.send(message);
  return { child, next, tell };
}

/** Hands out (follower, followee) pairs in order, each once: every request is a new follow. */
function pairs(ready: ServerReady) {
  let next = 0;
  const capacity = ready.followers.length * ready.followees.length;
  return {
    capacity,
    used: () => next,
    take() {
      const i = next++;
      if (i >= capacity) throw new Error(`out of fresh follow pairs after ${capacity}: seed more accounts`);
      const follower = ready.followers[i % ready.followers.length];
      const followee = ready.followees[Math.floor(i / ready.followers.length)];
      if (!follower || !followee) throw new Error('pair out of range');
      return { follower, followee };
    },
  };
}

function load(port: number, seconds: number, fresh: ReturnType<typeof pairs>) {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'PUT',
        setupRequest: (request) => {
          const { follower, followee } = fresh.take();
          return {
            ...request,
            path: `/api/v1/users/${followee}/follow`,
            headers: { ...request.headers, authorization: `Bearer ${follower.token}` },
          };
        },
      },
    ],
  });
}

function loadBaseline(): Figures {
  try {
    return (JSON.parse(readFileSync(baselinePath, 'utf8')) as { figures: Figures }).figures;
  } catch {
    return {};
  }
}

function format(value: number | undefined, unit: string): string {
  if (value === undefined) return '-';
  return unit === 'ms' ? value.toFixed(2) : Math.round(value).toLocaleString('en-US');
}

function printTable(now: Figures, baseline: Figures): void {
  const rows = metrics.map((metric) => {
    const current = now[metric.name];
    const before = baseline[metric.name];
    return [
      `${metric.name} (${metric.unit}, ${metric.higherIsBetter ? 'higher' : 'lower'} is better)`,
      format(current, metric.unit),
      format(before, metric.unit),
      current === undefined || before === undefined || before === 0
        ? '-'
        : `${(current / before).toFixed(2)}x`,
    ];
  });
  const header = ['metric', 'now', 'baseline', 'ratio'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join(' | ');
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('-|-'));
  for (const row of rows) console.log(line(row));
}

async function main(): Promise<void> {
  const server = startServer();
  try {
    const ready = await server.next<ServerReady>('ready');
    const fresh = pairs(ready);
    console.log(
      `follow bench: ${connections} connections, ${warmupSeconds}s warm-up + ${duration}s, ` +
        `${ready.followers.length} followers x ${ready.followees.length} followees seeded, node ${process.version}, ` +
        `${cpus().length} CPUs`,
    );

    const warmup = await load(ready.port, warmupSeconds, fresh);
    const result = await load(ready.port, duration, fresh);

    const answered = [warmup, result].reduce((sum, r) => sum + r['2xx'], 0);
    const failed = [warmup, result].reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0);
    server.tell({ kind: 'count' });
    const { userFollowed } = await server.next<ServerCount>('count');
    console.log(
      `${result['2xx']} follows measured (${answered} in all, ${fresh.used()} sent), ${failed} failed, ` +
        `${userFollowed} UserFollowed in the log`,
    );
    // Requests still in flight when a run's time is up are appended by the server but not counted by
    // autocannon, so the log may hold a few more follows than 204s, never fewer, never more than were sent.
    if (failed > 0 || userFollowed < answered || userFollowed > fresh.used()) {
      throw new Error('every follow must answer 204 and record exactly one UserFollowed');
    }

    const now: Figures = {
      'follow.throughput': result.requests.average,
      'follow.latency.p50': result.latency.p50,
      'follow.latency.p99': result.latency.p99,
    };
    printTable(now, loadBaseline());
    if (saveBaseline) {
      const settings = { connections, durationSeconds: duration, node: process.version, cpus: cpus().length };
      writeFileSync(
        baselinePath,
        `${JSON.stringify({ recordedAt: new Date().toISOString(), settings, figures: now }, null, 2)}\n`,
      );
      console.log(`baseline saved to ${baselinePath}`);
    }
  } finally {
    if (server.child.connected) server.tell({ kind: 'stop' });
    // A server that does not stop by itself (it cleans up its files when it does) is ended.
    setTimeout(() => server.child.kill('SIGKILL'), 10_000).unref();
  }
}

await main();
