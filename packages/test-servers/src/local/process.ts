import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** A server started as a local process in its own process group. */
export interface LocalProcess {
  readonly pid: number;
  readonly logFile: string;
  /** Whether the process has exited (for example because its port was taken). */
  exited(): boolean;
  /** The last lines of its log, for error messages. */
  logTail(lines?: number): string;
  /** Stops the whole process group: SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  command: string;
  args: string[];
  cwd: string;
  logFile: string;
  env?: NodeJS.ProcessEnv;
}

// Process groups still running, killed synchronously if this process exits without a teardown (an uncaught
// error, process.exit). A SIGKILL of this process is covered by the parent-death signal below instead.
const running = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of running) killGroup(pgid, 'SIGKILL');
  });
}

let setprivAvailable: boolean | undefined;

/**
 * `setpriv --pdeathsig` (util-linux) makes the kernel kill the server when the process that spawned it dies,
 * even by SIGKILL, so an aborted test run leaves no orphans holding ports and memory. It execs the server, so
 * the pid stays the server's own. Without it (not Linux), the exit hook and teardown are all there is.
 */
async function parentDeathPrefix(): Promise<string[]> {
  if (setprivAvailable === undefined) {
    setprivAvailable =
      process.platform === 'linux' &&
      (await execFileAsync('setpriv', ['--help']).then(
        () => true,
        () => false,
      ));
  }
  return setprivAvailable ? ['setpriv', '--pdeathsig', 'SIGKILL', '--'] : [];
}

export async function spawnServer(options: SpawnOptions): Promise<LocalProcess> {
  installExitHook();
  const prefix = await parentDeathPrefix();
  const [command = options.command, ...args] = [...prefix, options.command, ...options.args];
  // The server writes straight into its log file: no pipe whose buffer could fill and stall it, and nothing
  // tying its output to this process's lifetime.
  const log = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      // Its own process group, so stop() reaches anything the server forks.
      detached: true,
      stdio: ['ignore', log, log],
    });
  } finally {
    closeSync(log);
  }
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () =>
      child.pid === undefined ? reject(new Error(`${options.command} has no pid`)) : resolve(child.pid),
    );
    child.once('error', reject);
  });
  running.add(pid);

  let hasExited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      hasExited = true;
      running.delete(pid);
      resolve();
    });
  });
  // Teardown awaits `exit` explicitly; the child must not keep the event loop (a CLI, vitest) alive by itself.
  child.unref();

  return {
    pid,
    logFile: options.logFile,
    exited: () => hasExited,
    logTail: (lines = 30) => tail(options.logFile, lines),
    async stop() {
      if (hasExited) return;
      killGroup(pid, 'SIGTERM');
      const graceful = await Promise.race([exit.then(() => true), sleep(5_000).then(() => false)]);
      if (!graceful) {
        killGroup(pid, 'SIGKILL');
        await exit;
      }
      // Children the server forked (none expected) would still hold the group; make sure they go too.
      killGroup(pid, 'SIGKILL');
    },
  };
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Polls `probe` until it succeeds. Gives up early, with the server's log, when the process exits: waiting the
 * whole timeout for a server that is already dead only hides the reason.
 */
export async function waitUntilReady<T>(
  name: string,
  server: LocalProcess,
  probe: () => Promise<T>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (server.exited()) throw new ServerExitedError(name, server.logTail());
    try {
      return await probe();
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${name} did not become ready within ${timeoutMs / 1000}s: ${String(lastError)}\n` +
          `--- last lines of ${server.logFile} ---\n${server.logTail()}`,
      );
    }
    await sleep(200);
  }
}

export class ServerExitedError extends Error {
  constructor(name: string, log: string) {
    super(`${name} exited during startup\n--- last lines of its log ---\n${log}`);
    this.name = 'ServerExitedError';
  }
}

/**
 * Starts a local server, retrying with fresh ports when it dies during startup: between picking a free port
 * and the server binding it, a concurrent run can take the port.
 */
export async function startWithRetries<T>(name: string, attempt: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ServerExitedError) || i >= attempts) throw error;
      console.warn(`test servers: ${name} exited during startup, retrying on other ports (${i}/${attempts})`);
    }
  }
}
