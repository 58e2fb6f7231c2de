import { appendAudit } from '../audit/service';
import { systemActor } from '../core/actor';
import type { AppDeps } from '../app';
import { SEALED_SOURCES, type SealedRow } from './sealed-sources';

export interface RotationProgress {
  source: string;
  rewrapped: number;
  /** Rows a writer changed while rotation ran (they hold a value sealed anew; a rerun picks them up if needed). */
  skipped: number;
  total: number;
}

export interface RotationResult {
  toKeyId: string;
  rewrapped: number;
  skipped: number;
}

/**
 * Re-wraps the data key of every sealed value (current and history) under `toKeyId`, without
 * re-encrypting any value. Online: each batch re-wraps outside any transaction, then swaps rows in
 * one short transaction with compare-and-set and writes one `kek.rewrap` audit row per org in it.
 * Resumable: only rows not yet under the target KEK are read, so a rerun after a kill continues
 * where the last committed batch ended and never rewrites a row twice.
 * @example await rotateKek(deps, { toKeyId: 'alias/strongroom-2027', onProgress: console.log });
 */
export async function rotateKek(
  deps: Pick<AppDeps, 'db' | 'envelope' | 'keyring' | 'auditKeys'>,
  options: { toKeyId: string; batchSize?: number; onProgress?: (p: RotationProgress) => void },
): Promise<RotationResult> {
  const toKeyId = await deps.keyring.canonicalKeyId(options.toKeyId);
  const batchSize = options.batchSize ?? 200;
  const result: RotationResult = { toKeyId, rewrapped: 0, skipped: 0 };
  for (const source of SEALED_SOURCES) {
    const progress: RotationProgress = {
      source: source.name,
      rewrapped: 0,
      skipped: 0,
      total: await source.pending(deps.db, toKeyId),
    };
    options.onProgress?.({ ...progress });
    let after: string[] | null = null;
    for (;;) {
      const rows = await source.page(deps.db, toKeyId, after, batchSize);
      if (rows.length === 0) break;
      after = rows.at(-1)!.cursor;
      const rewrapped = await Promise.all(rows.map((row) => deps.envelope.rewrap(row.value, row.context, toKeyId)));
      await deps.db.transaction().execute(async (trx) => {
        const perOrg = new Map<string | null, number>();
        for (const [i, row] of rows.entries()) {
          if (await source.swap(trx, row, rewrapped[i]!, toKeyId)) {
            progress.rewrapped++;
            perOrg.set(row.orgId, (perOrg.get(row.orgId) ?? 0) + 1);
          } else {
            progress.skipped++;
          }
        }
        for (const [orgId, count] of perOrg) {
          await appendAudit(trx, deps.auditKeys, systemActor(orgId), {
            action: 'kek.rewrap',
            targetType: 'kek',
            targetId: toKeyId,
            metadata: { source: source.name, count },
          });
        }
      });
      options.onProgress?.({ ...progress });
    }
    result.rewrapped += progress.rewrapped;
    result.skipped += progress.skipped;
  }
  return result;
}

export type { SealedRow };
