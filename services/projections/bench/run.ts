import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// pnpm --filter @gram/projections bench [name] [--save-baseline]: every benchmark, or the one named.
const benches = ['rebuild', 'feed', 'lag', 'live', 'ferretdb-ops'];
/**
 * Node flags of the process a benchmark measures, as it runs outside the benchmark: the rebuild CLI
 * (`pnpm read-models:rebuild`) gives V8 a 64 MB young generation, since a fold allocates a few hundred MB of
 * short-lived objects and the default (16 MB) spends about a tenth of the fold in scavenges.
 */
const nodeFlags: Record<string, string[]> = { rebuild: ['--max-semi-space-size=64'] };
const args = process.argv.slice(2);
const named = args.filter((arg) => !arg.startsWith('--'));
const flags = args.filter((arg) => arg.startsWith('--'));
const unknown = named.filter((name) => !benches.includes(name));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${benches.join(', ')}`);
  process.exit(2);
}
let failed = false;
for (const name of named.length > 0 ? named : benches) {
  console.info(`\n== ${name}`);
  const run = spawnSync(
    process.execPath,
    [...(nodeFlags[name] ?? []), '--import', 'tsx', join(import.meta.dirname, `${name}.bench.ts`), ...flags],
    { stdio: 'inherit' },
  );
  if (run.status !== 0) failed = true;
}
process.exitCode = failed ? 1 : 0;
