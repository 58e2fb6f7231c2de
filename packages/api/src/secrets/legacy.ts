import { columnExists } from '@strongroom/db';
import { systemActor } from '../core/actor';
import type { AppDeps } from '../app';
import { lockLegacyRows, sealLegacyRow, sealSecret } from './store';

const BATCH = 100;

/**
 * Seals plaintext left in `secrets.legacy_value` by the pre-Strongroom platform (and by the
 * migration of legacy agents' raw keys), in place and in batches, each row with its history entry
 * and audit row in one transaction. Runs on every start; does nothing once all are sealed or the
 * column is gone. Returns how many it sealed.
 */
export async function sealLegacySecrets(deps: Pick<AppDeps, 'db' | 'envelope' | 'auditKeys'>): Promise<number> {
  // The purge migration drops the column once everything is sealed and verified.
  if (!(await columnExists(deps.db, 'secrets', 'legacy_value'))) return 0;
  let sealedCount = 0;
  for (;;) {
    const done = await deps.db.transaction().execute(async (trx) => {
      const rows = await lockLegacyRows(trx, BATCH);
      for (const row of rows) {
        const sealed = await sealSecret(
          deps,
          { orgId: row.org_id, secretId: row.id, version: row.version },
          row.legacy_value,
        );
        await sealLegacyRow(trx, deps.auditKeys, sealed, {
          by: systemActor(row.org_id),
          event: {
            action: 'secret.seal_legacy',
            targetType: 'secret',
            targetId: row.id,
            metadata: { name: row.name, version: row.version },
          },
        });
      }
      sealedCount += rows.length;
      return rows.length < BATCH;
    });
    if (done) return sealedCount;
  }
}
