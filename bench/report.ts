/**
 * How the benchmark reports: what one runtime measured (bench/run.ts
 * writes it, bench/runtimes.ts reads it), and plain-text tables with a
 * header of one or more lines, the first two columns (frame, method)
 * left-aligned and the figures right-aligned.
 */

export interface RuntimeResults {
  node: string;
  method: string;
  rows: { frame: string; method: string; fps: number | null; medianUs: number | null; p99Us: number | null }[];
  goals: { goal: string; met: boolean; detail: string }[];
}

export function goalLines(goals: RuntimeResults['goals']): string {
  return goals.map(({ goal, met, detail }) => `${met ? 'met   ' : 'MISSED'}  ${goal}: ${detail}`).join('\n');
}

export function fmt(n: number | null, digits = 0): string {
  return n !== null && Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '';
}

export function renderTable(headers: string[][], rows: string[][]): string {
  const columns = Math.max(...[...headers, ...rows].map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, i) => Math.max(...[...headers, ...rows].map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    widths
      .map((w, i) => (i >= 2 ? (cells[i] ?? '').padStart(w) : (cells[i] ?? '').padEnd(w)))
      .join('  ')
      .trimEnd();
  return [...headers.map(line), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
