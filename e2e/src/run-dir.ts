import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunnerTask } from 'vitest';

/** A fresh directory for one run of a system: its data and its processes' logs. */
export function createRunDir(mode: string): string {
  return mkdtempSync(join(tmpdir(), `gram-e2e-${mode}-`));
}

function failed(task: RunnerTask): boolean {
  if (task.result?.state === 'fail') return true;
  return 'tasks' in task && task.tasks.some(failed);
}

/**
 * After the run: removes the directory when every test passed; otherwise keeps it and says where, since
 * the services' logs there are what explains a failure.
 */
export function finishRunDir(runDir: string, suite: RunnerTask): void {
  if (failed(suite)) {
    console.error(`e2e: a test failed; the run's data and service logs are kept in ${runDir}`);
    return;
  }
  rmSync(runDir, { recursive: true, force: true });
}
