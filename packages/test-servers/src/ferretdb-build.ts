import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
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

/**
 * Changes made to FerretDB's own source before it is built, each an exact replacement that must apply (a new
 * FerretDB version that no longer has the line fails the build loudly rather than silently losing the fix).
 *
 * The `_id` lookups: FerretDB 1.24's SQLite backend filters `{ _id }` with `_ferretdb_sjson->'$._id'` (the
 * only filter it hands to SQLite at all, internal/backends/sqlite/collection.go), but builds the collection's
 * unique `_id` index on `_ferretdb_sjson->"_id"` (metadata/registry.go), and SQLite uses an expression index
 * only for the very same expression: every read, update and delete by `_id` scanned the whole table (EXPLAIN
 * QUERY PLAN: `SCAN` before, `SEARCH ... USING INDEX` after). Both expressions yield the same JSON value, so the
 * filter now names the index's. Measured on 20,000 documents (2 cores, loaded): `findOne({ _id })` 40/s before,
 * 1,645/s after; `updateOne({ _id })` 14/s before, 978/s after (see the projections' ferretdb-ops benchmark).
 */
const FERRETDB_PATCHES = [
  {
    file: 'internal/backends/sqlite/metadata/metadata.go',
    from: `IDColumn = DefaultColumn + "->'$._id'"`,
    to: 'IDColumn = DefaultColumn + `->"_id"`',
  },
];

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
  hash.update(JSON.stringify(FERRETDB_PATCHES));
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
      // -mod=mod: resolve from go.mod even if go.sum lacks an entry a newer Go wants, instead of refusing.
      const env = { ...process.env, ...go.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' };
      const source = await patchedSource(go.path, home, env);
      await run(go.path, [...BUILD_ARGS, '-o', partial, '.'], { cwd: source, env });
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

/**
 * The wrapper's sources in `home/src`, building against a copy of FerretDB's module in `home/module` with
 * FERRETDB_PATCHES applied (a `replace` in the copy's go.mod); answers the wrapper's directory.
 */
async function patchedSource(go: string, home: string, env: NodeJS.ProcessEnv): Promise<string> {
  const source = join(home, 'src');
  const module = join(home, 'module');
  await rm(source, { recursive: true, force: true });
  await rm(module, { recursive: true, force: true });
  await mkdir(source, { recursive: true });
  for (const file of SOURCE_FILES) await cp(join(SOURCE_DIR, file), join(source, file));
  const { stdout } = await run(go, ['mod', 'download', '-json', 'github.com/FerretDB/FerretDB'], {
    cwd: source,
    env,
  });
  const downloaded = JSON.parse(stdout) as { Dir?: string };
  if (!downloaded.Dir) throw new Error(`go mod download named no directory for FerretDB: ${stdout}`);
  await cp(downloaded.Dir, module, { recursive: true });
  // The module cache is read-only, and so is a copy of it: writable, so that it can be patched and removed.
  await run('chmod', ['-R', 'u+w', module]);
  for (const patch of FERRETDB_PATCHES) {
    const path = join(module, patch.file);
    const text = await readFile(path, 'utf8');
    if (!text.includes(patch.from))
      throw new Error(`FerretDB patch no longer applies: ${patch.file}: ${patch.from}`);
    await writeFile(path, text.replace(patch.from, patch.to));
  }
  await run(go, ['mod', 'edit', '-replace', `github.com/FerretDB/FerretDB=${module}`], { cwd: source, env });
  return source;
}
