import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir, pathExists, withFileLock } from './local/cache.js';
import { ensureCommand, run } from './local/tools.js';

/** The schemathesis release the fuzz tests run; its dependencies are pinned beside it. */
export const SCHEMATHESIS_VERSION = '4.32.5';
const REQUIREMENTS = fileURLToPath(new URL('./schemathesis-requirements.txt', import.meta.url));

export interface SchemathesisInstallation {
  version: string;
  /** the `schemathesis` command of the virtual environment */
  command: string;
}

/**
 * Schemathesis (PyPI) in a virtual environment of its own under the cache dir, installed on first use from
 * schemathesis-requirements.txt (every package pinned). The cache key hashes those pins and the Python
 * interpreter (a venv belongs to the interpreter it was made with), so bumping either makes a new venv
 * instead of running a stale one. An install that fails throws: a fuzz test never skips for want of it.
 */
export async function installSchemathesis(): Promise<SchemathesisInstallation> {
  const python = await ensureCommand('python3', 'python3-venv');
  const requirements = await readFile(REQUIREMENTS, 'utf8');
  if (!requirements.includes(`schemathesis==${SCHEMATHESIS_VERSION}\n`)) {
    throw new Error(`${REQUIREMENTS} does not pin schemathesis==${SCHEMATHESIS_VERSION}`);
  }
  const { stdout: interpreter } = await run(python, [
    '-c',
    'import sys; print(sys.version); print(sys.executable)',
  ]);
  const key = createHash('sha256').update(requirements).update(interpreter).digest('hex').slice(0, 16);
  const home = join(cacheDir(), `schemathesis-${SCHEMATHESIS_VERSION}-${key}`);
  const command = join(home, 'bin', 'schemathesis');
  const complete = join(home, '.complete');

  if ((await pathExists(complete)) && (await answersItsVersion(command))) {
    return { version: SCHEMATHESIS_VERSION, command };
  }
  await withFileLock(`schemathesis-${key}`, async () => {
    if ((await pathExists(complete)) && (await answersItsVersion(command))) return;
    const started = Date.now();
    console.warn(`test servers: installing schemathesis ${SCHEMATHESIS_VERSION} from PyPI into ${home}`);
    // A venv records its own path in its scripts: it is built where it stays, and `.complete`, written
    // last, tells a finished one from one whose install was interrupted.
    await rm(home, { recursive: true, force: true });
    await run(python, ['-m', 'venv', home]).catch((error: unknown) => {
      throw new Error(
        `could not create a Python virtual environment (on Debian: apt-get install python3-venv): ${String(error)}`,
      );
    });
    const env = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' };
    await run(join(home, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '-r', REQUIREMENTS], { env });
    if (!(await answersItsVersion(command))) {
      throw new Error(
        `installed schemathesis into ${home}, but it does not answer as ${SCHEMATHESIS_VERSION}`,
      );
    }
    await writeFile(complete, new Date().toISOString());
    console.warn(
      `test servers: schemathesis ${SCHEMATHESIS_VERSION} installed in ${Math.round((Date.now() - started) / 1000)}s`,
    );
  });
  return { version: SCHEMATHESIS_VERSION, command };
}

async function answersItsVersion(command: string): Promise<boolean> {
  try {
    const { stdout } = await run(command, ['--version'], { timeoutMs: 60_000 });
    return stdout.includes(`version ${SCHEMATHESIS_VERSION}`);
  } catch {
    return false;
  }
}
