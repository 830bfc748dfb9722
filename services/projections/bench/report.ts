import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One figure of a benchmark; `better` says which way is good, `target` is the figure it must reach. */
export interface Metric {
  metric: string;
  now: number;
  better: 'higher' | 'lower';
  target?: number;
}

/**
 * Prints a benchmark's figures beside its saved baseline (bench/<name>.baseline.json) and its targets:
 * metric | now | baseline | ratio | target | ok. `--save-baseline` stores these figures as the new baseline.
 * Answers whether every target was met.
 */
export function report(name: string, metrics: readonly Metric[]): boolean {
  const path = join(import.meta.dirname, `${name}.baseline.json`);
  const baseline: Record<string, number> = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
  const format = (n: number | undefined) =>
    n === undefined ? '-' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
  const rows = [['metric', 'now', 'baseline', 'ratio', 'target', 'ok']];
  let allMet = true;
  for (const m of metrics) {
    const base = baseline[m.metric];
    const met =
      m.target === undefined ? undefined : m.better === 'higher' ? m.now >= m.target : m.now <= m.target;
    if (met === false) allMet = false;
    rows.push([
      m.metric,
      format(m.now),
      format(base),
      base ? `${(m.now / base).toFixed(2)}x` : '-',
      m.target === undefined ? '-' : `${m.better === 'higher' ? '>=' : '<='} ${format(m.target)}`,
      met === undefined ? '-' : met ? 'yes' : 'NO',
    ]);
  }
  const widths = (rows[0] as string[]).map((_, i) =>
    Math.max(...rows.map((row) => (row[i] as string).length)),
  );
  for (const row of rows) console.info(row.map((cell, i) => cell.padEnd(widths[i] as number)).join(' | '));
  if (process.argv.includes('--save-baseline')) {
    writeFileSync(
      path,
      `${JSON.stringify(Object.fromEntries(metrics.map((m) => [m.metric, Number(m.now.toFixed(3))])), null, 2)}\n`,
    );
    console.info(`baseline saved to ${path}`);
  }
  return allMet;
}

/** The p-th percentile (0..100) of `samples`, nearest rank. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
