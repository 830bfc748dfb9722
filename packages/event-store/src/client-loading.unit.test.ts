import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs `script` in a fresh Node process (this package's own resolution) and returns what it printed. */
async function inFreshProcess(script: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '--eval', script],
    { cwd: packageDir },
  );
  return stdout.trim();
}

const clientLoaded = `Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes('kurrentdb-client'))`;

describe('the KurrentDB client', () => {
  it('is not loaded by a process that only uses the SQLite store', async () => {
    const printed = await inFreshProcess(`
      import { createRequire } from 'node:module';
      import { openSqliteEventStore } from './src/index.ts';
      const store = openSqliteEventStore({ path: ':memory:' });
      await store.close();
      console.log(${clientLoaded});
    `);
    expect(printed).toBe('false');
  });

  it('is loaded when a KurrentDB store is opened, without connecting yet', async () => {
    const printed = await inFreshProcess(`
      import { createRequire } from 'node:module';
      import { openKurrentDbEventStore } from './src/index.ts';
      openKurrentDbEventStore({ connectionString: 'kurrentdb://127.0.0.1:1?tls=false' });
      console.log(${clientLoaded});
    `);
    expect(printed).toBe('true');
  });
});
