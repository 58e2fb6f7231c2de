import { mkdirSync, writeFileSync } from 'node:fs';

/** One line of a benchmark table. Ratios are against the section's baseline, measured in the same run. */
export interface BenchRow {
  case: string;
  opsPerSec?: number;
  p50Us?: number;
  p99Us?: number;
  /** This row's throughput divided by the baseline's. */
  ratio?: number;
  note?: string;
}

export interface BenchSection {
  name: string;
  /** What `ratio` is measured against. */
  baseline: string;
  rows: BenchRow[];
  /** Targets and whether they were met, in words. */
  checks?: { target: string; met: boolean; value: string }[];
}

/**
 * Ops per second of `fn`, run in batches for about `ms` after a warm-up.
 * @example const ops = await opsPerSecond(() => seal(), 1_500);
 */
export async function opsPerSecond(fn: () => unknown, ms = 1_500): Promise<number> {
  const warmUntil = performance.now() + Math.min(300, ms / 4);
  while (performance.now() < warmUntil) await fn();
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 50; i++) await fn();
    ops += 50;
    now = performance.now();
  }
  return (ops * 1000) / (now - start);
}

/** Percentiles of samples in microseconds. */
export function percentiles(samplesUs: number[]): { p50Us: number; p99Us: number } {
  const sorted = [...samplesUs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50Us: at(0.5), p99Us: at(0.99) };
}

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined ? '' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(digits || 2);

/** The section as a Markdown table (what docs and READMEs embed). */
export function toMarkdown(section: BenchSection): string {
  const lines = [
    `### ${section.name}`,
    '',
    `Baseline (ratio 1.00): ${section.baseline}`,
    '',
    '| case | ops/s | p50 µs | p99 µs | ratio | note |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...section.rows.map(
      (r) => `| ${r.case} | ${fmt(r.opsPerSec)} | ${fmt(r.p50Us, 1)} | ${fmt(r.p99Us, 1)} | ${r.ratio === undefined ? '' : r.ratio.toFixed(r.ratio < 0.01 ? 4 : 2)} | ${r.note ?? ''} |`,
    ),
  ];
  if (section.checks?.length) {
    lines.push('', ...section.checks.map((c) => `- ${c.met ? 'met' : 'MISSED'}: ${c.target} (${c.value})`));
  }
  return lines.join('\n');
}

/** Writes the section as JSON under bench/results/, dated and as latest. */
export function writeResults(section: BenchSection): string {
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const slug = section.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const body = `${JSON.stringify({ ...section, node: process.version, at: new Date().toISOString() }, null, 2)}\n`;
  const dated = new URL(`${slug}-${new Date().toISOString().slice(0, 10)}.json`, dir);
  writeFileSync(dated, body);
  writeFileSync(new URL(`latest-${slug}.json`, dir), body);
  return dated.pathname;
}
