import { sql } from 'kysely';
import { appendAudit } from '../audit/service';
import { systemActor, type WorkerActor } from '../core/actor';
import type { Call } from '../core/call';
import type { AppDeps } from '../app';
import { publish } from '../core/event-hub';
import { sealValue } from '../core/sealing';

/**
 * Infra secrets belong to no org; they are sealed under the pseudo-org `platform` (which a KMS key
 * policy conditioned on `org_id` must allow), bound to their name and version like any secret.
 */
export function infraContext(name: string, version: number): Record<string, string> {
  return { org_id: 'platform', secret_id: `infra:${name}`, version: String(version) };
}

/**
 * Creates or replaces an infra secret (a new version), audited on the platform chain; runtimes of
 * every org hear `infra_secret.changed` on commit and drop the old value.
 * @example await setInfraSecret(deps, 'ai-gateway-token', valueFromStdin);
 */
export async function setInfraSecret(
  deps: Pick<AppDeps, 'db' | 'envelope' | 'auditKeys'>,
  name: string,
  value: string,
) {
  return deps.db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('infra_secrets')
      .select('version')
      .where('name', '=', name)
      .forUpdate()
      .executeTakeFirst();
    const version = (current?.version ?? 0) + 1;
    const { sealed, kekId } = await sealValue(deps, infraContext(name, version), value);
    await trx
      .insertInto('infra_secrets')
      .values({ name, value: sealed, kek_id: kekId, version })
      .onConflict((oc) =>
        oc.column('name').doUpdateSet({ value: sealed, kek_id: kekId, version, updated_at: sql`now()` }),
      )
      .execute();
    await appendAudit(trx, deps.auditKeys, systemActor(null), {
      action: 'infra_secret.set',
      targetType: 'infra_secret',
      targetId: name,
      metadata: { version },
    });
    await publish(trx, { type: 'infra_secret.changed', name, version });
    return { name, version };
  });
}

/** Current versions of the named infra secrets; names not found are left out. */
export async function infraSecretVersions(call: Call<WorkerActor>, names: string[]): Promise<Record<string, number>> {
  if (names.length === 0) return {};
  const rows = await call.deps.db
    .selectFrom('infra_secrets')
    .select(['name', 'version'])
    .where('name', 'in', names)
    .execute();
  return Object.fromEntries(rows.map((r) => [r.name, r.version]));
}
