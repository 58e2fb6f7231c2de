/**
 * `npm run bench`: every benchmark section in one run, each printed as a table and saved as JSON
 * under bench/results/; a full run also rewrites docs/performance.md. `npm run bench -- crypto`
 * runs the sections whose name matches.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { runRuntimeBench } from '../packages/agents-runtime/bench/runtime.bench';
import { runAuditScaleBench } from '../packages/api/bench/audit-scale.bench';
import { runHotOrgBench, runHttpBench, runScaleBench } from '../packages/api/bench/http.bench';
import { runCryptoBench } from '../packages/crypto/bench/crypto.bench';
import { type BenchSection, recordLoad, toMarkdown, writeResults } from './lib';

const sections: { name: string; run: () => Promise<BenchSection> }[] = [
  { name: 'crypto', run: runCryptoBench },
  { name: 'http', run: runHttpBench },
  { name: 'scale', run: runScaleBench },
  { name: 'hot-org', run: runHotOrgBench },
  { name: 'runtime', run: runRuntimeBench },
  { name: 'audit-scale', run: runAuditScaleBench },
];

const HISTORY_MARKER = '<!-- kept by npm run bench: history and notes below -->';
const filter = process.argv.slice(2);
const tables: string[] = [];
let missed = 0;
for (const section of sections.filter((s) => filter.length === 0 || filter.some((f) => s.name.includes(f)))) {
  console.error(`running ${section.name}…`);
  const loadDuring = recordLoad();
  const result = await section.run();
  result.load ??= loadDuring();
  const table = toMarkdown(result);
  tables.push(table);
  console.log(`${table}\n`);
  console.error(`saved ${writeResults(result)}`);
  missed += result.checks?.filter((c) => !c.met).length ?? 0;
}
if (filter.length === 0) {
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const doc = new URL('../docs/performance.md', import.meta.url);
  // What follows the marker (earlier figures, notes) is written by hand and kept.
  const kept = existsSync(doc) ? readFileSync(doc, 'utf8').split(HISTORY_MARKER)[1] : undefined;
  writeFileSync(
    doc,
    `# Performance\n\nWritten by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)} (${machine}). Every ratio is against a\nbaseline measured in the same run; absolute figures move with the machine, ratios much less.\nJSON for each section is in \`bench/results/\`.\n\n${tables.join('\n\n')}\n${kept === undefined ? '' : `\n${HISTORY_MARKER}${kept}`}`,
  );
  console.error('wrote docs/performance.md');
}
if (missed) console.error(`${missed} target(s) missed`);
