/**
 * Prints, after the run, why tests were skipped: the list reporter shows
 * a skipped test only as a dash, and a skip must never pass unnoticed.
 */
import type { Reporter, TestCase, TestResult } from '@playwright/test/reporter';

export default class SkipReasonsReporter implements Reporter {
  readonly #reasons = new Map<string, number>();

  onTestEnd(test: TestCase, result: TestResult): void {
    if (result.status !== 'skipped') return;
    const reason = test.annotations.find((annotation) => annotation.type === 'skip')?.description ?? 'no reason given';
    this.#reasons.set(reason, (this.#reasons.get(reason) ?? 0) + 1);
  }

  onEnd(): void {
    for (const [reason, count] of this.#reasons) console.log(`\n  SKIPPED, not passed: ${count} test${count === 1 ? '' : 's'}: ${reason}`);
  }

  printsToStdio(): boolean {
    return true;
  }
}
