import { readFile } from 'node:fs/promises';
import type { RouterInputs, RouterOutputs, StrongroomClient } from '@strongroom/client';
import { SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import { parse } from 'dotenv';
import { describeFailure, withClient } from './connect';
import { type OutputOptions, printJson, printTable } from './output';

type ImportInput = RouterInputs['secrets']['import'];
type ImportResult = RouterOutputs['secrets']['import']['results'][number];

/** Per request: well under the server's 1000 names and 512 KiB, so a batch is never refused for size. */
const BATCH_ENTRIES = 100;
const BATCH_BYTES = 256 * 1024;

/** The file's names and values, read as the server reads them (dotenv's parser, or a JSON object). */
function entriesOf(text: string, format: 'dotenv' | 'json'): [string, string][] {
  if (format === 'dotenv') return Object.entries(parse(text));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // reported below
  }
  if (
    !json ||
    typeof json !== 'object' ||
    Array.isArray(json) ||
    Object.values(json).some((v) => typeof v !== 'string')
  )
    throw new Error('a JSON import is one object of names to string values');
  return Object.entries(json as Record<string, string>);
}

/** Batches of entries, each sent as a JSON object, each within the server's limits. */
function batchesOf(entries: [string, string][]): string[] {
  const batches: string[] = [];
  let batch: Record<string, string> = {};
  let count = 0;
  let bytes = 2;
  for (const [name, value] of entries) {
    const size = Buffer.byteLength(JSON.stringify({ [name]: value }));
    if (count > 0 && (count === BATCH_ENTRIES || bytes + size > BATCH_BYTES)) {
      batches.push(JSON.stringify(batch));
      [batch, count, bytes] = [{}, 0, 2];
    }
    batch[name] = value;
    count += 1;
    bytes += size;
  }
  if (count > 0) batches.push(JSON.stringify(batch));
  return batches;
}

async function importBatches(
  sr: StrongroomClient,
  input: Omit<ImportInput, 'content' | 'format'>,
  batches: string[],
  onBatch: (results: ImportResult[]) => void,
): Promise<ImportResult[]> {
  const results: ImportResult[] = [];
  for (const content of batches) {
    const answer = await sr.secrets.import.mutate({ ...input, format: 'json', content });
    results.push(...answer.results);
    onBatch(answer.results);
  }
  return results;
}

function summary(results: ImportResult[]): string {
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${n} ${status}`).join(', ') || 'nothing to import';
}

/**
 * `strongroom secrets import --file .env --scope … [--dry-run] [--on-conflict …]`: the file is read
 * here and sent in batches, each one all-or-nothing on the server. The whole file is first checked
 * as a dry run, so that with `--on-conflict fail` (the default) a conflict anywhere writes nothing.
 */
export function registerImportCommand(secrets: Command): void {
  secrets
    .command('import')
    .description('create or update secrets from a .env (or JSON) file, with a preview (--dry-run)')
    .requiredOption('--file <path>', 'the file to import')
    .option('--namespace <namespace>', 'the namespace', 'default')
    .addOption(
      new Option('--scope <scope>', 'scope of the secrets it creates').choices(['org', 'agent']).makeOptionMandatory(),
    )
    .addOption(new Option('--format <format>', 'the file format').choices(['dotenv', 'json']).default('dotenv'))
    .addOption(
      new Option('--on-conflict <what>', 'a name that exists with another value: skip, update, or fail (write nothing)')
        .choices(['skip', 'update', 'fail'])
        .default('fail'),
    )
    .option('--dry-run', 'show what would happen and write nothing')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample: strongroom secrets import --file .env --namespace prod --scope agent --dry-run')
    .action(
      (
        opts: {
          file: string;
          namespace: string;
          scope: 'org' | 'agent';
          format: 'dotenv' | 'json';
          onConflict: 'skip' | 'update' | 'fail';
          dryRun?: boolean;
        } & OutputOptions,
      ) =>
        withClient(async (sr, login) => {
          const entries = entriesOf(await readFile(opts.file, 'utf8'), opts.format);
          const batches = batchesOf(entries);
          const input = { namespace: opts.namespace, scope: opts.scope, onConflict: opts.onConflict };
          // One bar for both passes (the preview, then the import), on stderr so stdout stays the report.
          const bar = new SingleBar({
            format: '{phase} [{bar}] {value}/{total} secrets',
            stream: process.stderr,
            noTTYOutput: true,
          });
          const pass = async (phase: string, dryRun: boolean) => {
            let done = 0;
            bar.update(0, { phase });
            try {
              return await importBatches(sr, { ...input, dryRun }, batches, (batch) =>
                bar.update((done += batch.length)),
              );
            } catch (err) {
              if (dryRun) throw err;
              // Each batch is all or nothing: the ones before the failing one are in.
              const reason = describeFailure(err, login.url);
              throw new Error(`${done} of ${entries.length} imported, then: ${reason}`, { cause: err });
            }
          };
          bar.start(entries.length, 0, { phase: 'checking' });
          let results: ImportResult[];
          let conflicts: ImportResult[];
          try {
            results = await pass('checking', true);
            conflicts = results.filter((r) => r.status === 'conflict');
            if (!opts.dryRun && conflicts.length === 0) results = await pass('importing', false);
          } finally {
            bar.stop();
          }
          const applied = !opts.dryRun && conflicts.length === 0;
          if (opts.json) printJson({ applied, results });
          else {
            printTable(
              opts,
              results,
              ['NAME', 'STATUS'],
              results.map((r) => [r.name, r.status]),
            );
            console.log(`${summary(results)}${applied ? '' : ' (nothing written)'}`);
          }
          if (conflicts.length > 0 && !opts.dryRun) {
            throw new Error(
              `${conflicts.length} name(s) exist with another value; nothing was written (use --on-conflict skip or update)`,
            );
          }
        }),
    );
}
