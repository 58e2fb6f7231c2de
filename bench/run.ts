/**
 * `npm run bench`: every benchmark section in one run, each printed as a table and saved as JSON
 * under bench/results/. `npm run bench -- crypto` runs the sections whose name matches.
 */
import { runRuntimeBench } from '../packages/agents-runtime/bench/runtime.bench';
import { runHttpBench } from '../packages/api/bench/http.bench';
import { runCryptoBench } from '../packages/crypto/bench/crypto.bench';
import { type BenchSection, toMarkdown, writeResults } from './lib';

const sections: { name: string; run: () => Promise<BenchSection> }[] = [
  { name: 'crypto', run: runCryptoBench },
  { name: 'http', run: runHttpBench },
  { name: 'runtime', run: runRuntimeBench },
];

const filter = process.argv.slice(2);
let missed = 0;
for (const section of sections.filter((s) => filter.length === 0 || filter.some((f) => s.name.includes(f)))) {
  console.error(`running ${section.name}…`);
  const result = await section.run();
  console.log(`${toMarkdown(result)}\n`);
  console.error(`saved ${writeResults(result)}`);
  missed += result.checks?.filter((c) => !c.met).length ?? 0;
}
if (missed) console.error(`${missed} target(s) missed`);
