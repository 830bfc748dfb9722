import { chmod, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheDir, pathExists, withFileLock } from './cache.js';
import { ensureCommand, run, which } from './tools.js';

/**
 * The Go toolchain fetched when the machine has none recent enough. Debian 12 packages Go 1.19, older than
 * FerretDB 1.24 allows and older than Go's own toolchain switching (1.21), so that Go only serves to download
 * a current toolchain, which Go publishes as a module (`golang.org/toolchain`) on the module proxy.
 */
const FALLBACK_TOOLCHAIN = 'go1.24.13';

export interface GoCommand {
  path: string;
  env: NodeJS.ProcessEnv;
}

export async function goCommand(): Promise<GoCommand> {
  const installed = await which('go');
  // From Go 1.21 on, `go build` fetches the toolchain go.mod asks for by itself (GOTOOLCHAIN=auto).
  if (installed && (await goMinorVersion(installed)) >= 21) return { path: installed, env: {} };
  const bootstrap = installed ?? (await ensureCommand('go', 'golang-go'));
  return withFileLock('go-toolchain', () => downloadToolchain(bootstrap));
}

async function goMinorVersion(go: string): Promise<number> {
  const { stdout } = await run(go, ['env', 'GOVERSION']);
  return Number.parseInt(/^go1\.(\d+)/.exec(stdout.trim())?.[1] ?? '0', 10);
}

async function downloadToolchain(oldGo: string): Promise<GoCommand> {
  const modCache = join(cacheDir(), 'go-toolchain');
  const goos = process.platform === 'darwin' ? 'darwin' : 'linux';
  const goarch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const module = `golang.org/toolchain@v0.0.1-${FALLBACK_TOOLCHAIN}.${goos}-${goarch}`;
  const root = join(modCache, module);
  const go = join(root, 'bin', 'go');
  const env: NodeJS.ProcessEnv = { GOTOOLCHAIN: 'local' };
  if (await pathExists(go)) return { path: go, env };

  console.warn(
    `test servers: Go is missing or too old, fetching ${FALLBACK_TOOLCHAIN} from the Go module proxy`,
  );
  await run(oldGo, ['mod', 'download', module], {
    cwd: cacheDir(),
    env: { ...process.env, GOMODCACHE: modCache, GOFLAGS: '-modcacherw', GO111MODULE: 'on' },
  });
  // Module zips carry no file modes; Go's own toolchain switch marks these executable the same way.
  await makeExecutable(join(root, 'bin'));
  await makeExecutable(join(root, 'pkg', 'tool', `${goos}_${goarch}`));
  return { path: go, env };
}

async function makeExecutable(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isFile()) await chmod(join(dir, entry.name), 0o755);
  }
}
