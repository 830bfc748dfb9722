// Prints vitest's totals as one plain closing line ("tests: N passed, N failed, N skipped") that
// any CI reader understands, and fails when no test ran at all. A test file that failed as a whole (its setup
// threw, so its tests count as skipped rather than failed) is named too, and fails the run.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const skipped = report.numPendingTests + report.numTodoTests;
const failedFiles = report.testResults.filter(
  (file) => file.status === 'failed' && file.assertionResults.every((test) => test.status !== 'failed'),
);
const filesPart =
  failedFiles.length > 0 ? `, ${failedFiles.length} test files failed outside their tests` : '';
console.log(
  `tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped${filesPart}`,
);
for (const file of failedFiles) {
  const reason = (file.message ?? '').split('\n')[0];
  console.log(`  failed: ${file.name}${reason ? `: ${reason}` : ' (see its error above)'}`);
}
if (report.numTotalTests === 0) {
  console.error('no test ran');
  process.exit(1);
}
process.exit(report.numFailedTests > 0 || failedFiles.length > 0 ? 1 : 0);
