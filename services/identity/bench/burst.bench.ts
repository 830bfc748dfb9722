// Identity under a burst of signups: `pnpm bench identity [--save-baseline]` at the root.
//
// 50 signups are sent at once, each from an address of its own (so no per-address limit is what saves the
// others), and one ordinary login is sent just after them. The login's latency is the figure: how long a
// user who only wants to log in waits behind the burst's password hashes. Each round runs twice, side by
// side in the same process: with the hashing queue identity ships (one hash per core at once, 16 per core
// waiting, 503 past that) and with no bound at all (every hash handed to libuv's pool at once, as before
// the queue). Rounds: BENCH_ROUNDS (default 5); the median of the rounds is reported.
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { AccessLimits, defaultAccessLimits } from '../src/limits/access-limits.js';
import { PasswordHasher } from '../src/passwords/password-hasher.js';
import { IdentityHarness, newSignup } from '../src/testing/identity-harness.js';

const saveBaseline = process.argv.includes('--save-baseline');
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const burst = 50;
const baselineFile = join(import.meta.dirname, 'baseline.json');

interface Round {
  loginMs: number;
  burstMs: number;
  created: number;
  busy: number;
}

async function round(passwords: PasswordHasher): Promise<Round> {
  const limits = AccessLimits.inMemory({ ...defaultAccessLimits, signupsPerAddress: 1_000_000 });
  const identity = await IdentityHarness.start({ passwords, limits });
  try {
    const user = await identity.account();
    const started = performance.now();
    const signups = Array.from({ length: burst }, (_, i) =>
      identity.signup(newSignup(), `198.18.${Math.floor(i / 250)}.${i % 250}`),
    );
    const loginStarted = performance.now();
    const login = await identity.login(user.body.userName, user.body.password, '192.0.2.1');
    const loginMs = performance.now() - loginStarted;
    if (login.statusCode !== 200) throw new Error(`the login answered ${login.statusCode}`);
    const answers = await Promise.all(signups);
    const burstMs = performance.now() - started;
    return {
      loginMs,
      burstMs,
      created: answers.filter((a) => a.statusCode === 201).length,
      busy: answers.filter((a) => a.statusCode === 503).length,
    };
  } finally {
    await identity.stop();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function arrangement(make: () => PasswordHasher): Promise<Round> {
  const results: Round[] = [];
  for (let i = 0; i < rounds; i++) results.push(await round(make()));
  return {
    loginMs: median(results.map((r) => r.loginMs)),
    burstMs: median(results.map((r) => r.burstMs)),
    created: median(results.map((r) => r.created)),
    busy: median(results.map((r) => r.busy)),
  };
}

console.log(
  `identity: one login behind ${burst} parallel signups, ${rounds} rounds each, ` +
    `${availableParallelism()} cores, load ${loadavg()[0]?.toFixed(2)}`,
);
const unbounded = await arrangement(
  () => new PasswordHasher(undefined, { concurrency: 1_000_000, waiting: 0 }),
);
const bounded = await arrangement(() => new PasswordHasher());

let baseline: Round | undefined;
try {
  baseline = JSON.parse(readFileSync(baselineFile, 'utf8')).bounded;
} catch {
  baseline = undefined;
}
const row = (name: string, r: Round | undefined) =>
  r === undefined
    ? `  ${name.padEnd(28)} (none saved)`
    : `  ${name.padEnd(28)} login ${r.loginMs.toFixed(0).padStart(6)} ms   burst ${r.burstMs.toFixed(0).padStart(6)} ms   ` +
      `201: ${String(r.created).padStart(2)}   503: ${String(r.busy).padStart(2)}`;
console.log(row('no hashing bound', unbounded));
console.log(row('hashing queue (this run)', bounded));
console.log(row('hashing queue (baseline)', baseline));
if (saveBaseline) {
  writeFileSync(baselineFile, `${JSON.stringify({ unbounded, bounded }, null, 2)}\n`);
  console.log(`baseline saved to ${baselineFile}`);
}
