/**
 * Prints one plain closing line, "tests: N passed, N failed", that CI tooling reads
 * regardless of the test runner, and above it the slowest test files, so the CI time budget
 * (README, "Tests") can be kept with figures rather than guesses.
 */
const SLOWEST = 12;

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const files = results.testResults
      .map((r) => ({ path: r.testFilePath, ms: r.perfStats.end - r.perfStats.start }))
      .filter((f) => f.ms > 0)
      .sort((a, b) => b.ms - a.ms)
      .slice(0, SLOWEST);
    if (files.length) {
      const cwd = `${process.cwd()}/`;
      const lines = files.map(
        (f) => `  ${(f.ms / 1000).toFixed(1).padStart(6)} s  ${f.path.replace(cwd, '')}`,
      );
      process.stdout.write(`\nslowest test files:\n${lines.join('\n')}\n`);
    }
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line =
      `tests: ${results.numPassedTests} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : '');
    process.stdout.write(`\n${line}\n`);
  }
}
module.exports = SummaryReporter;
