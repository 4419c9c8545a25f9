/**
 * A Playwright reporter that ends the e2e run with the same plain line as the
 * vitest run, `N passed, N failed`, so CI logs read the same for both.
 */
import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';

/** Counts final outcomes and prints one closing line. */
export default class SummaryReporter implements Reporter {
  private passed = 0;
  private failed = 0;
  private skipped = 0;

  onTestEnd(test: TestCase, result: TestResult): void {
    // Only the last attempt of a retried test counts.
    if (result.retry < test.retries && result.status !== 'passed' && result.status !== 'skipped') return;
    if (result.status === 'passed') this.passed += 1;
    else if (result.status === 'skipped') this.skipped += 1;
    else this.failed += 1;
  }

  onEnd(_result: FullResult): void {
    process.stdout.write(`\ne2e: ${this.passed} passed, ${this.failed} failed${this.skipped > 0 ? `, ${this.skipped} skipped` : ''}\n`);
  }
}
