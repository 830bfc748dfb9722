/**
 * Upload throughput, latency and memory of the media service in embedded mode, over real HTTP on a loopback
 * port, side by side with a saved baseline.
 *
 *   pnpm --filter @gram/media bench                    run and print the table
 *   pnpm --filter @gram/media bench --save-baseline    also store these figures as bench/baseline.json
 *   options: --duration <s> (default 10), --concurrency <n> (default 8)
 *
 * Every request uploads the same 3 MB JPEG of noise (noise so that it does not compress: the dearest kind of
 * photo to decode and encode), which the service decodes, strips, resizes twice and stores. The server runs
 * in a child process (media-server.ts) that samples its own RSS, so the peak memory is the service's alone,
 * during `concurrency` uploads in flight at all times. The run fails if any upload does not answer 201.
 */
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { DriverMessage, ServerMessage } from './media-server.js';

type Figures = Record<string, number>;
const benchDir = dirname(fileURLToPath(import.meta.url));
const baselinePath = join(benchDir, 'baseline.json');
const saveBaseline = process.argv.includes('--save-baseline');
const duration = numberArg('--duration', 10);
const concurrency = numberArg('--concurrency', 8);

const metrics = [
  { name: 'upload.throughput', unit: 'uploads/s', higherIsBetter: true },
  { name: 'upload.latency.p50', unit: 'ms', higherIsBetter: false },
  { name: 'upload.latency.p99', unit: 'ms', higherIsBetter: false },
  { name: 'upload.peak-rss', unit: 'MB', higherIsBetter: false },
] as const;

function numberArg(flag: string, fallback: number): number {
  const index = process.argv.indexOf(flag);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag} needs a positive number`);
  return value;
}

/** A JPEG of random pixels of about 3 MB. */
async function noiseJpeg(): Promise<Buffer> {
  const width = 2400;
  const height = 1900;
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(Math.random() * 256);
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer();
}

function startServer() {
  const child = fork(join(benchDir, 'media-server.ts'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = <K extends ServerMessage['kind']>(kind: K) =>
    new Promise<Extract<ServerMessage, { kind: K }>>((resolve, reject) => {
      const onMessage = (message: ServerMessage) => {
        if (message.kind !== kind) return;
        child.off('message', onMessage);
        resolve(message as Extract<ServerMessage, { kind: K }>);
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`the bench server exited (code ${code})`)));
    });
  const tell = (message: DriverMessage) => child.send(message);
  return { next, tell };
}

async function uploadOnce(port: number, token: string, jpeg: Buffer): Promise<number> {
  const form = new FormData();
  form.append('file', new Blob([jpeg], { type: 'image/jpeg' }), 'noise.jpg');
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/media`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`upload answered ${res.status}`);
  return performance.now() - started;
}

/** `concurrency` uploads in flight until `seconds` have passed. */
async function load(port: number, token: string, jpeg: Buffer, seconds: number) {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) latencies.push(await uploadOnce(port, token, jpeg));
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { count: latencies.length, throughput: latencies.length / elapsed, p50: at(0.5), p99: at(0.99) };
}

function loadBaseline(): Figures {
  try {
    return (JSON.parse(readFileSync(baselinePath, 'utf8')) as { figures: Figures }).figures;
  } catch {
    return {};
  }
}

function printTable(now: Figures, baseline: Figures): void {
  const format = (value: number | undefined, unit: string) =>
    value === undefined
      ? '-'
      : unit === 'ms' || unit === 'uploads/s'
        ? value.toFixed(1)
        : Math.round(value).toString();
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
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

const jpeg = await noiseJpeg();
const server = startServer();
const ready = await server.next('ready');
console.log(
  `media bench: ${(jpeg.length / 1e6).toFixed(2)} MB JPEG, ${concurrency} concurrent uploads for ${duration}s, ` +
    `embedded mode, ${cpus().length} CPUs, node ${process.version}; server RSS at rest ${(ready.rss / 1e6).toFixed(0)} MB`,
);
await load(ready.port, ready.token, jpeg, 2); // warm-up
server.tell({ kind: 'reset-peak' });
const result = await load(ready.port, ready.token, jpeg, duration);
server.tell({ kind: 'report' });
const { rss } = await server.next('peak');
server.tell({ kind: 'stop' });

const figures: Figures = {
  'upload.throughput': result.throughput,
  'upload.latency.p50': result.p50,
  'upload.latency.p99': result.p99,
  'upload.peak-rss': rss / 1e6,
};
console.log(`${result.count} uploads, all 201\n`);
printTable(figures, loadBaseline());
console.log('\ntargets: at least 20 uploads/s; peak RSS under 300 MB');
if (saveBaseline) {
  writeFileSync(
    baselinePath,
    `${JSON.stringify({ recordedAt: new Date().toISOString(), settings: { concurrency, durationSeconds: duration, jpegBytes: jpeg.length, node: process.version, cpus: cpus().length }, figures }, null, 2)}\n`,
  );
  console.log(`saved ${baselinePath}`);
}
