import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { withOperatorDeps } from '../operator';
import { backfillMcpTokens, verifyMcpTokens } from './mcp-tokens';

/** `strongroom backfill mcp-tokens [--dry-run]` and `strongroom backfill verify`. */
export function registerBackfillCommands(program: Command): void {
  const backfill = program.command('backfill').description('move legacy plaintext credentials into sealed secrets');

  backfill
    .command('mcp-tokens')
    .description('move every legacy MCP server token into a secret and reference it (idempotent, resumable)')
    .option('--dry-run', 'list what would move, change nothing')
    .action((opts: { dryRun?: boolean }) =>
      withOperatorDeps(async (deps) => {
        const bar = new SingleBar({
          format: 'mcp tokens [{bar}] {value}/{total} moved, {skipped} already done',
          stream: process.stderr,
          noTTYOutput: true,
          notTTYSchedule: 1000,
        });
        let started = false;
        const result = await backfillMcpTokens(deps, {
          dryRun: !!opts.dryRun,
          onProgress: (p) => {
            if (!started && !opts.dryRun) {
              bar.start(p.total, 0, { skipped: 0 });
              started = true;
            }
            if (started) bar.update(p.moved, { skipped: p.skipped });
          },
        });
        if (started) bar.stop();
        if (result.dryRun) {
          console.log(`dry run: ${result.total} MCP server(s) would move${result.total ? ':' : ''}`);
          for (const s of [...result.servers].sort()) console.log(`  ${s}`);
        } else {
          console.log(
            `backfill mcp-tokens: ${result.moved} moved, ${result.skipped} already done, ${result.total} found`,
          );
        }
      }),
    );

  backfill
    .command('verify')
    .description('check every moved token against its legacy value (digests only) and record the result')
    .action(() =>
      withOperatorDeps(async (deps) => {
        const report = await verifyMcpTokens(deps);
        console.log(`backfill verify: ${report.verified} verified, ${report.problems.length} problem(s)`);
        for (const p of report.problems) console.log(`  ${p.name} (${p.serverId}): ${p.problem}`);
        if (report.problems.length) process.exitCode = 1;
      }),
    );
}
