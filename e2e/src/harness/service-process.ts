import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root: services are started from there, by their path in it. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface ServiceProcessSpec {
  /** in logs and errors, e.g. `projections` */
  name: string;
  /** the TypeScript entry point, relative to the repository's root */
  entry: string;
  /** the whole environment of the process beside PATH and HOME: nothing else leaks in from ours */
  env: Record<string, string>;
  /** where its stdout and stderr go (appended to across restarts) */
  logFile: string;
  /** each answers 200 once the process serves (e.g. `/health`, then `/ready`) */
  healthUrls: string[];
  /** how long a start may take before it counts as failed (default 90 s: a loaded 2-core machine compiles slowly) */
  startTimeoutMs?: number;
}

/** Variables of the parent worth passing on: where programs and caches are, and nothing that configures a service. */
const inherited = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'npm_config_cache'] as const;

const running = new Set<ChildProcess>();
// A test runner that dies (or a script stopped by an uncaught error) must not leave services behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * One service as its own operating-system process: `node --import tsx <entry>`, so the pid is the
 * service's own (a `tsx` launcher would put a second process between a signal and the service).
 * Its output goes to `logFile`; `start()` resolves once each of `healthUrls` answers 200.
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<NodeJS.Signals | number | null> | undefined;

  constructor(readonly spec: ServiceProcessSpec) {}

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get logFile(): string {
    return this.spec.logFile;
  }

  /** Starts the process and waits until it is healthy; a failed start throws with the log's last lines. */
  async start(): Promise<void> {
    if (this.child) throw new Error(`${this.name} is already running (pid ${this.child.pid})`);
    mkdirSync(dirname(this.spec.logFile), { recursive: true });
    const log = openSync(this.spec.logFile, 'a');
    const env: Record<string, string> = {};
    for (const name of inherited) {
      const value = process.env[name];
      if (value !== undefined) env[name] = value;
    }
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [...profiling(), '--import', 'tsx', this.spec.entry], {
        cwd: repoRoot,
        env: { ...env, ...this.spec.env },
        stdio: ['ignore', log, log],
      });
    } finally {
      closeSync(log);
    }
    this.child = child;
    running.add(child);
    this.exited = new Promise((resolveExit) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        if (this.child === child) this.child = undefined;
        resolveExit(signal ?? code);
      });
    });
    await this.waitUntilHealthy(this.exited);
  }

  /** SIGTERM, then SIGKILL when it has not exited within `graceMs`. Resolves once it has exited. */
  async stop(graceMs = 10_000): Promise<void> {
    const { child, exited } = this;
    if (!child || !exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `signal` (SIGKILL: no shutdown code runs) and waits until the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const { child, exited } = this;
    if (!child || !exited) return;
    child.kill(signal);
    await exited;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** The last lines of the log, for an error message. */
  tail(lines = 40): string {
    try {
      return readFileSync(this.spec.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  private async waitUntilHealthy(exited: Promise<unknown>): Promise<void> {
    const deadline = Date.now() + (this.spec.startTimeoutMs ?? 90_000);
    let gone = false;
    void exited.then(() => {
      gone = true;
    });
    const pending = [...this.spec.healthUrls];
    let lastError = 'no answer yet';
    while (pending.length > 0 && Date.now() < deadline) {
      if (gone) throw this.failure('exited before it was healthy');
      try {
        const response = await fetch(pending[0] as string, { signal: AbortSignal.timeout(2_000) });
        const body = await response.text();
        if (response.status === 200) {
          pending.shift();
          continue;
        }
        lastError = `${response.status} ${body.slice(0, 300)}`;
      } catch (error) {
        lastError = error instanceof Error ? String(error.cause ?? error.message) : String(error);
      }
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
    if (pending.length === 0) return;
    await this.kill();
    const timeout = this.spec.startTimeoutMs ?? 90_000;
    throw this.failure(`not healthy at ${pending[0]} after ${timeout} ms (${lastError})`);
  }

  private failure(what: string): Error {
    return new Error(`${this.name} ${what}; log: ${this.spec.logFile}\n${this.tail()}`);
  }
}

/** Stops every process at once (each SIGTERM, then SIGKILL after the grace period). */
export async function stopAll(processes: Iterable<ServiceProcess>): Promise<void> {
  await Promise.all([...processes].map((service) => service.stop()));
}

export const logPath = (runDir: string, name: string) => join(runDir, 'logs', `${name}.log`);

/** GRAM_CPU_PROFILE_DIR: every service started here writes a V8 CPU profile there when it stops (node --cpu-prof). */
function profiling(): string[] {
  const dir = process.env.GRAM_CPU_PROFILE_DIR;
  return dir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [];
}
