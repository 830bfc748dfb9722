/**
 * Upload throughput, latency and memory of the media service in embedded mode, over real HTTP on a loopback
 * port, side by side with a saved baseline.
 *
 *   pnpm --filter @gram/media bench                    run and print the table
 *   pnpm --filter @gram/media bench --save-baseline    also store these figures as bench/baseline.json
 *   options: --duration <s> (default 10), --concurrency <n> (default 8), --server-arg <node option> (repeatable)
 *
 * Every request uploads the same 3 MB JPEG of noise (noise so that it does not compress: the dearest kind of
 * photo to decode and encode), which the service decodes, strips, resizes twice and stores. The server runs
 * in a child process (media-server.ts) that reports its own peak RSS and CPU time, so they are the service's
 * alone, during `concurrency` uploads in flight at all times. The run fails if any upload does not answer 201.
 *
 * The load generator shares the cores with the server, so it does as little as it can: one multipart body,
 * built once, sent as is by every request. Its CPU time is printed, and so is what every other process on
 * the machine used during the run (from /proc/stat): on a shared machine that, not the code, often decides
 * uploads/s and latency. Compare server CPU per upload across such runs.
 */
import { fork } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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
// Node options for the server process only, e.g. `--server-arg --cpu-prof --server-arg --cpu-prof-dir=/tmp/p`
// (a CPU profile of the service under load) or `--server-arg --trace-gc`.
const serverArgs = process.argv.flatMap((arg, i) =>
  arg === '--server-arg' ? [process.argv[i + 1] ?? ''] : [],
);

const metrics = [
  { name: 'upload.throughput', unit: 'uploads/s', higherIsBetter: true },
  { name: 'upload.latency.p50', unit: 'ms', higherIsBetter: false },
  { name: 'upload.latency.p99', unit: 'ms', higherIsBetter: false },
  { name: 'upload.peak-rss', unit: 'MB', higherIsBetter: false },
  // CPU time of the server process (all threads) per upload: unlike the figures above, it hardly moves when
  // other processes compete for the cores, so it is the one to compare across runs on a shared machine.
  { name: 'upload.server-cpu', unit: 'ms', higherIsBetter: false },
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
  const child = fork(join(benchDir, 'media-server.ts'), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, ...serverArgs],
    // As the service is run (package.json `start`): see MALLOC_ARENA_MAX in src/main.ts.
    env: { MALLOC_ARENA_MAX: '1', ...process.env },
  });
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

/**
 * The multipart body, built once: the client on the same cores as the server should cost next to nothing
 * per request, so every request sends these same bytes rather than encoding a FormData again.
 */
function multipartBody(jpeg: Buffer): { body: Buffer; contentType: string } {
  const boundary = `----media-bench-${Math.random().toString(16).slice(2)}`;
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="noise.jpg"\r\n` +
    'Content-Type: image/jpeg\r\n\r\n';
  return {
    body: Buffer.concat([Buffer.from(head), jpeg, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

async function uploadOnce(port: number, token: string, upload: { body: Buffer; contentType: string }) {
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/media`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': upload.contentType },
    body: upload.body,
  });
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`upload answered ${res.status}`);
  return performance.now() - started;
}

/** `concurrency` uploads in flight until `seconds` have passed. */
async function load(port: number, token: string, upload: ReturnType<typeof multipartBody>, seconds: number) {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const machineBefore = machineBusySeconds();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) latencies.push(await uploadOnce(port, token, upload));
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const machineAfter = machineBusySeconds();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    count: latencies.length,
    throughput: latencies.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
    elapsed,
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
    machineCpuSeconds:
      machineBefore === undefined || machineAfter === undefined ? undefined : machineAfter - machineBefore,
  };
}

/**
 * CPU seconds the whole machine spent busy (all cores, every process), from /proc/stat on Linux: the bench
 * shares its cores with whatever else runs, and a busy neighbour lowers the figures as surely as slow code.
 */
function machineBusySeconds(): number | undefined {
  if (!existsSync('/proc/stat')) return undefined;
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number);
  if (!fields || fields.length < 5) return undefined;
  // user nice system idle iowait irq softirq steal: all but idle and iowait are work
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / 100; // USER_HZ is 100 on Linux
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
const upload = multipartBody(jpeg);
await load(ready.port, ready.token, upload, 2); // warm-up
server.tell({ kind: 'reset-peak' });
const result = await load(ready.port, ready.token, upload, duration);
server.tell({ kind: 'report' });
const { rss, cpuSeconds } = await server.next('peak');
server.tell({ kind: 'stop' });

const figures: Figures = {
  'upload.throughput': result.throughput,
  'upload.latency.p50': result.p50,
  'upload.latency.p99': result.p99,
  'upload.peak-rss': rss / 1e6,
  'upload.server-cpu': (1000 * cpuSeconds) / result.count,
};
const share = (seconds: number) => `${((100 * seconds) / result.elapsed).toFixed(0)}% of one CPU`;
console.log(
  `${result.count} uploads, all 201; CPU during the run: server ${share(cpuSeconds)}, ` +
    `load generator ${share(result.clientCpuSeconds)} (${((1000 * result.clientCpuSeconds) / result.count).toFixed(1)} ms per upload)` +
    (result.machineCpuSeconds === undefined
      ? ''
      : `, other processes ${share(Math.max(0, result.machineCpuSeconds - cpuSeconds - result.clientCpuSeconds))} ` +
        `(of ${cpus().length})`) +
    '\n',
);
printTable(figures, loadBaseline());
console.log(
  '\ntargets: at least 20 uploads/s; peak RSS under 300 MB. Throughput and latency depend on the CPU left by ' +
    'other processes (above); server CPU per upload does not.',
);
const conditions = {
  loadGeneratorCpuMsPerUpload: (1000 * result.clientCpuSeconds) / result.count,
  otherProcessesCpus:
    result.machineCpuSeconds === undefined
      ? null
      : Math.max(0, result.machineCpuSeconds - cpuSeconds - result.clientCpuSeconds) / result.elapsed,
};
if (saveBaseline) {
  writeFileSync(
    baselinePath,
    `${JSON.stringify({ recordedAt: new Date().toISOString(), settings: { concurrency, durationSeconds: duration, jpegBytes: jpeg.length, node: process.version, cpus: cpus().length }, conditions, figures }, null, 2)}\n`,
  );
  console.log(`saved ${baselinePath}`);
}
