import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installSchemathesis, type SchemathesisInstallation } from '@gram/test-servers';
import { injectServer } from '@gram/test-servers/inject';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../api/client.js';
import { pipelineFlowing, startDistributed, startEmbedded } from '../harness/index.js';
import { seedFuzzData } from './fuzz-data.js';
import { fuzzChecks, schemathesisConfig } from './schemathesis-config.js';

// Bad input: schemathesis generates requests from /openapi.json (valid ones and ones that break the
// documented schemas: wrong types, missing fields, odd strings and ids, bad content types), and its hooks
// (odd_input_hooks.py) mix in what no schema describes: non-finite numbers in query strings, bodies nested
// 5,000 deep or over the body limit, malformed media types. It checks each answer. None may be a 5xx, and
// each must be documented: its status, content type, headers and body schema.
// A failure prints schemathesis' report, with a curl command per failing case.
//
// A deeper run, or another draw: GRAM_FUZZ_MAX_EXAMPLES=500 GRAM_FUZZ_SEED=7 pnpm exec vitest run e2e/src/fuzz
const SEED = positiveInteger('GRAM_FUZZ_SEED', 20_260_601);
const MAX_EXAMPLES = positiveInteger('GRAM_FUZZ_MAX_EXAMPLES', 100);
const RUN_TIMEOUT_MS = 10 * 60_000;

// The rate limits answer 429 (documented) long before the fuzzer is through: out of its way.
const noRateLimits = {
  WRITES_PER_USER_PER_MINUTE: '1000000',
  LOGIN_FAILURES_PER_LOGIN: '1000000',
  LOGIN_FAILURES_PER_ACCOUNT: '1000000',
  LOGIN_FAILURES_PER_IP: '1000000',
  SIGNUPS_PER_IP: '1000000',
};

// injectServer throws in CI when a server is missing: there the distributed run fails rather than skips.
const kafkaBrokers = injectServer('kafkaBrokers');
const mongoUrl = injectServer('mongoUrl');
const redisUrl = injectServer('redisUrl');

/** A running system to fuzz, and how to stop it. */
type Started = { url: string; stop: () => Promise<void> };

/**
 * The same run against each mode: the modes share the route schemas, not the code in front of them (the
 * distributed gateway streams every body, and forwards over HTTP).
 */
const modes: { name: string; skip: boolean; start: (workDir: string) => Promise<Started> }[] = [
  {
    name: 'the embedded mode',
    skip: false,
    start: (workDir) => startEmbedded({ dataDir: join(workDir, 'data'), env: noRateLimits }),
  },
  {
    name: 'the distributed mode',
    skip: kafkaBrokers === undefined || mongoUrl === undefined || redisUrl === undefined,
    start: async (workDir) => {
      const system = await startDistributed({
        runDir: workDir,
        gatewayEnv: noRateLimits,
        identityEnv: noRateLimits,
        servers: {
          kafkaBrokers: kafkaBrokers as string[],
          mongoUrl: mongoUrl as string,
          redisUrl: redisUrl as string,
        },
      });
      await pipelineFlowing(system.url);
      return system;
    },
  },
];

for (const { name, skip, start } of modes) {
  describe(`the OpenAPI document, fuzzed by schemathesis against ${name}`, () => {
    let workDir: string;
    let system: Started | undefined;
    let schemathesis: SchemathesisInstallation;

    beforeAll(async () => {
      if (skip) return;
      workDir = await mkdtemp(join(tmpdir(), 'gram-fuzz-'));
      [schemathesis, system] = await Promise.all([installSchemathesis(), start(workDir)]);
    }, 600_000);

    afterAll(async () => {
      await system?.stop();
      if (workDir) await rm(workDir, { recursive: true, force: true });
    });

    it.skipIf(skip)(
      'draws no 5xx and no answer whose status, content type, headers or body its document does not allow',
      async () => {
        const url = (system as Started).url;
        const data = await seedFuzzData(new ApiClient(url));
        const config = join(workDir, 'schemathesis.toml');
        await writeFile(config, schemathesisConfig(data, { seed: SEED, maxExamples: MAX_EXAMPLES }));

        const started = Date.now();
        const run = await runCommand(
          schemathesis.command,
          [
            '--config-file',
            config,
            'run',
            `${url}/openapi.json`,
            '--checks',
            fuzzChecks.join(','),
            '--phases',
            'examples,coverage,fuzzing,stateful',
            '--request-timeout',
            '30',
          ],
          workDir,
          RUN_TIMEOUT_MS,
        );
        const seconds = Math.round((Date.now() - started) / 1000);
        const summary = run.output.match(/^=+ .* in [\d.]+s =+$/m)?.[0] ?? `exit ${run.code}`;
        console.info(
          `schemathesis ${schemathesis.version} against ${name}, seed ${SEED}: ${summary} (${seconds}s)`,
        );

        expect(run.code, `schemathesis failed (seed ${SEED}); its report:\n${run.output}`).toBe(0);
        // A pass means something only if every operation of the document was reached.
        const selected = /Selected:\s+(\d+)\/(\d+)/.exec(run.output);
        const tested = /Tested:\s+(\d+)/.exec(run.output);
        expect(selected?.[1], run.output).toBe(selected?.[2]);
        expect(tested?.[1], run.output).toBe(selected?.[1]);
        // API.md has 30 rows; the document may hold more (the JWKS, the media files).
        expect(Number(tested?.[1])).toBeGreaterThanOrEqual(30);
      },
      RUN_TIMEOUT_MS + 60_000,
    );
  });
}

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

/** Runs a command to its end, stdout and stderr together as the output; a run over `timeoutMs` is killed. */
function runCommand(
  command: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, NO_COLOR: '1', COLUMNS: '120' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => {
      output += `\n(killed after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
