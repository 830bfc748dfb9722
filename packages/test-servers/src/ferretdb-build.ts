import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir, pathExists, withFileLock } from './local/cache.js';
import { goCommand } from './local/go.js';
import { run } from './local/tools.js';

/** The Go program in packages/test-servers/ferretdb that embeds FerretDB. */
const SOURCE_DIR = fileURLToPath(new URL('../ferretdb/', import.meta.url));
const SOURCE_FILES = ['go.mod', 'go.sum', 'main.go'];
// Only the SQLite backend: leaving out PostgreSQL (pgx) shortens the build; -s -w drops debug info nobody reads.
const BUILD_ARGS = ['build', '-trimpath', '-tags', 'ferretdb_no_postgresql', '-ldflags=-s -w'];

export interface FerretDbBuild {
  binary: string;
  /** The FerretDB module version it was built from, e.g. `v1.24.2`. */
  version: string;
}

/**
 * Builds the FerretDB wrapper once per version of its sources and caches the binary. The cache key is a hash
 * of go.mod, go.sum, main.go and the build flags, so bumping FerretDB (or changing the wrapper) rebuilds
 * instead of running a stale binary. A cold build (modules and compile) takes minutes on 2 cores, mostly
 * compiling the pure-Go SQLite: CI should cache the cache dir.
 */
export async function buildFerretDb(): Promise<FerretDbBuild> {
  const hash = createHash('sha256');
  hash.update(BUILD_ARGS.join(' '));
  for (const file of SOURCE_FILES) hash.update(file).update(await readFile(join(SOURCE_DIR, file)));
  const home = join(cacheDir(), `ferretdb-${hash.digest('hex').slice(0, 16)}`);
  const binary = join(home, 'ferretdb');
  const versionFile = join(home, 'version.txt');
  if (!(await pathExists(versionFile))) {
    await withFileLock('ferretdb', async () => {
      if (await pathExists(versionFile)) return;
      const go = await goCommand();
      const started = Date.now();
      console.warn(`test servers: building FerretDB from ${SOURCE_DIR} into ${home}`);
      await mkdir(home, { recursive: true });
      const partial = `${binary}.partial`;
      await run(go.path, [...BUILD_ARGS, '-o', partial, '.'], {
        cwd: SOURCE_DIR,
        // -mod=mod: resolve from go.mod even if go.sum lacks an entry a newer Go wants, instead of refusing.
        env: { ...process.env, ...go.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
      });
      await rename(partial, binary);
      const { stdout } = await run(binary, ['-version']);
      // Written last: its presence marks a complete build.
      await writeFile(versionFile, stdout.trim());
      console.warn(`test servers: FerretDB built in ${Math.round((Date.now() - started) / 1000)}s`);
    });
  }
  const version = (await readFile(versionFile, 'utf8')).trim();
  return { binary, version: version.replace(/^v/, '') };
}
