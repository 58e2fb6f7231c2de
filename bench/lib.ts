import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** One line of a benchmark table. Ratios are against the section's baseline, measured in the same run. */
export interface BenchRow {
  case: string;
  opsPerSec?: number;
  p50Us?: number;
  p99Us?: number;
  /** This row's throughput divided by the baseline's (the median over rounds of each round's ratio). */
  ratio?: number;
  /** Lowest and highest per-round ratio. */
  ratioRange?: [number, number];
  /** Server CPU (user + system) per request, median over rounds. */
  cpuUsPerOp?: number;
  note?: string;
}

/** The machine's load average (1, 5, 15 min) when a section started and ended, and its CPU count. */
export interface MachineLoad {
  cpus: number;
  before: number[];
  after: number[];
}

/** Starts recording the machine's load; call the result when the section is done. */
export function recordLoad(): () => MachineLoad {
  const before = loadavg();
  return () => ({ cpus: cpus().length, before, after: loadavg() });
}

export interface BenchSection {
  name: string;
  /** What `ratio` is measured against. */
  baseline: string;
  rows: BenchRow[];
  /** Targets and whether they were met, in words. */
  checks?: { target: string; met: boolean; value: string }[];
  load?: MachineLoad;
}

export interface Contender {
  name: string;
  fn: () => unknown;
}

export interface Measured {
  name: string;
  opsPerSec: number;
  p50Us: number;
  p99Us: number;
}

/**
 * Measures contenders side by side: `rounds` rounds, each running every contender for about
 * `msPerRound` in turn, so background load that comes and goes hits all of them alike. ops/s is
 * the median of the rounds; p50 and p99 come from every op's own duration (one clock read per op,
 * the same overhead for every contender).
 * @example const [floor, ours] = await sideBySide([{ name: 'floor', fn: floorFn }, { name: 'ours', fn: oursFn }]);
 */
export async function sideBySide(
  contenders: Contender[],
  { rounds = 5, msPerRound = 300, warmupMs = 200 } = {},
): Promise<Measured[]> {
  const perRound = contenders.map(() => [] as number[]);
  const samples = contenders.map(() => [] as number[]);
  for (const c of contenders) await run(c.fn, warmupMs, []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, c] of contenders.entries()) perRound[i]!.push(await run(c.fn, msPerRound, samples[i]!));
  }
  return contenders.map((c, i) => ({ name: c.name, opsPerSec: median(perRound[i]!), ...percentiles(samples[i]!) }));
}

/** Runs `fn` back to back for about `ms`, pushing each op's duration in µs; returns ops/s. */
async function run(fn: () => unknown, ms: number, samplesUs: number[]): Promise<number> {
  const start = performance.now();
  let last = start;
  let ops = 0;
  while (last - start < ms) {
    await fn();
    const now = performance.now();
    samplesUs.push((now - last) * 1000);
    last = now;
    ops++;
  }
  return (ops * 1000) / (last - start);
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/**
 * Runs every case once per round, in the same order each round (the baseline first), so load that
 * comes and goes on a shared machine hits all cases alike; returns each case's per-round results.
 * @example const perCase = await inRounds(cases, 5, (c) => measure(c));
 */
export async function inRounds<C, R>(
  cases: readonly C[],
  rounds: number,
  runOne: (c: C) => Promise<R>,
): Promise<R[][]> {
  const out = cases.map(() => [] as R[]);
  for (let round = 0; round < rounds; round++) {
    for (const [i, c] of cases.entries()) out[i]!.push(await runOne(c));
  }
  return out;
}

/** Percentiles of samples in microseconds. */
export function percentiles(samplesUs: number[]): { p50Us: number; p99Us: number } {
  const sorted = [...samplesUs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50Us: at(0.5), p99Us: at(0.99) };
}

const ratio = (r: number | undefined) => (r === undefined ? '' : r.toFixed(r < 0.01 ? 4 : 2));

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined ? '' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(digits || 2);

/** The section as a Markdown table (what docs and READMEs embed). */
export function toMarkdown(section: BenchSection): string {
  const lines = [
    `### ${section.name}`,
    '',
    `Baseline (ratio 1.00): ${section.baseline}`,
    '',
    '| case | ops/s | p50 µs | p99 µs | ratio | ratio range | server CPU µs/op | note |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...section.rows.map(
      (r) =>
        `| ${r.case} | ${fmt(r.opsPerSec)} | ${fmt(r.p50Us, 1)} | ${fmt(r.p99Us, 1)} | ${ratio(r.ratio)} | ${r.ratioRange ? `${ratio(r.ratioRange[0])}–${ratio(r.ratioRange[1])}` : ''} | ${fmt(r.cpuUsPerOp)} | ${r.note ?? ''} |`,
    ),
  ];
  if (section.load) {
    const avg = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' / ');
    lines.push(
      '',
      `Machine load average (1 / 5 / 15 min) on ${section.load.cpus} CPUs: ${avg(section.load.before)} before, ${avg(section.load.after)} after.`,
    );
  }
  if (section.checks?.length) {
    lines.push('', ...section.checks.map((c) => `- ${c.met ? 'met' : 'MISSED'}: ${c.target} (${c.value})`));
  }
  return lines.join('\n');
}

/** Writes the section as JSON under bench/results/, dated and as latest. */
export function writeResults(section: BenchSection): string {
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const slug = section.name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  const body = `${JSON.stringify({ ...section, node: process.version, at: new Date().toISOString() }, null, 2)}\n`;
  const dated = new URL(`${slug}-${new Date().toISOString().slice(0, 10)}.json`, dir);
  writeFileSync(dated, body);
  writeFileSync(new URL(`latest-${slug}.json`, dir), body);
  return dated.pathname;
}
