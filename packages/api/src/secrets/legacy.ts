import { columnExists } from '@strongroom/db';
import { sql } from 'kysely';
import { appendAudit } from '../audit/service';
import { systemActor } from '../core/actor';
import type { AppDeps } from '../app';
import { sealSecretValue, secretContext } from './sealing';

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
      const { rows } = await sql<{ id: string; org_id: string; version: number; name: string; legacy_value: string }>`
        select id, org_id, version, name, legacy_value from secrets
        where legacy_value is not null limit ${BATCH} for update skip locked`.execute(trx);
      for (const row of rows) {
        const { sealed, kekId } = await sealSecretValue(
          deps,
          secretContext(row.org_id, row.id, row.version),
          row.legacy_value,
        );
        await sql`update secrets set value = ${sealed}, kek_id = ${kekId}, legacy_value = null, updated_at = now()
          where id = ${row.id}`.execute(trx);
        await trx
          .insertInto('secret_versions')
          .values({ secret_id: row.id, version: row.version, value: sealed, kek_id: kekId })
          .execute();
        await appendAudit(trx, deps.auditKeys, systemActor(row.org_id), {
          action: 'secret.seal_legacy',
          targetType: 'secret',
          targetId: row.id,
          metadata: { name: row.name, version: row.version },
        });
      }
      sealedCount += rows.length;
      return rows.length < BATCH;
    });
    if (done) return sealedCount;
  }
}
