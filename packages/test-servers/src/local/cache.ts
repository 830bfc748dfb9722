import { access, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Where installed servers (Kafka jars, the FerretDB binary) are kept between runs.
 * CI should cache this directory; `GRAM_TEST_SERVERS_CACHE` overrides it.
 */
export function cacheDir(): string {
  const explicit = process.env.GRAM_TEST_SERVERS_CACHE;
  if (explicit) return explicit;
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(xdg, 'gram-test-servers');
}

const LOCK_TIMEOUT_MS = 20 * 60_000;
const LOCK_POLL_MS = 250;
// A lock directory without an owner file is one that is being created right now, unless it is this old:
// then its creator died between mkdir and writing the owner.
const OWNERLESS_LOCK_STALE_MS = 30_000;

/**
 * Runs `work` while holding an exclusive lock shared with other processes on this machine, so two test runs
 * starting at once do not download into or build into the cache side by side.
 *
 * The lock is a directory (mkdir is atomic) holding the owner's pid; a lock whose owner is dead is taken over,
 * so a test run killed mid-install does not block every later run.
 */
export async function withFileLock<T>(name: string, work: () => Promise<T>): Promise<T> {
  const locks = join(cacheDir(), 'locks');
  await mkdir(locks, { recursive: true });
  const lock = join(locks, `${name}.lock`);
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
      if (await isStaleLock(lock)) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${lock}`);
      await sleep(LOCK_POLL_MS);
    }
  }
  try {
    await writeFile(join(lock, 'owner'), String(process.pid));
    return await work();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function isStaleLock(lock: string): Promise<boolean> {
  try {
    const owner = Number.parseInt(await readFile(join(lock, 'owner'), 'utf8'), 10);
    return Number.isInteger(owner) && !isAlive(owner);
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
    try {
      return Date.now() - (await stat(lock)).mtimeMs > OWNERLESS_LOCK_STALE_MS;
    } catch {
      return false;
    }
  }
}

export function pathExists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return isErrno(error, 'EPERM');
  }
}

export function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

const RUN_DIR_PREFIX = 'gram-test-servers-';

/**
 * A fresh directory for one server of one run (data, config, logs), so concurrent runs never share files.
 * It records the owning pid; directories left behind by runs that were killed are removed here.
 */
export async function createRunDir(server: string): Promise<string> {
  await removeAbandonedRunDirs();
  const dir = await mkdtemp(join(tmpdir(), `${RUN_DIR_PREFIX}${server}-`));
  await writeFile(join(dir, 'owner'), String(process.pid));
  return dir;
}

async function removeAbandonedRunDirs(): Promise<void> {
  const entries = await readdir(tmpdir()).catch(() => []);
  for (const entry of entries) {
    if (!entry.startsWith(RUN_DIR_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    const owner = Number.parseInt(await readFile(join(dir, 'owner'), 'utf8').catch(() => ''), 10);
    if (Number.isInteger(owner) && !isAlive(owner)) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A loopback port that was free a moment ago. Another process may take it before the server binds it;
 * callers retry a start whose server exits early for that reason.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}
