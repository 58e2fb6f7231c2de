import type { Database } from '@strongroom/db';
import { sql, type Transaction } from 'kysely';
import { appendAudit } from '../audit/service';
import { systemActor } from '../core/actor';
import type { AppDeps } from '../app';
import { issueToken } from '../tokens/service';

type OrgDeps = Pick<AppDeps, 'db' | 'auditKeys'>;

export interface CreatedOrg {
  orgId: string;
  adminUserId: string;
  adminToken: string;
  workerToken?: string;
}

/**
 * Creates an org with one admin (creating the user if new) and that admin's first token; with
 * `withWorkerToken`, a worker token too. Operator commands use it; there is no API for it.
 */
export async function createOrg(
  deps: OrgDeps,
  input: { name: string; adminEmail: string; withWorkerToken?: boolean },
): Promise<CreatedOrg> {
  return deps.db.transaction().execute((trx) => insertOrg(trx, deps.auditKeys, input));
}

async function insertOrg(
  trx: Transaction<Database>,
  keys: OrgDeps['auditKeys'],
  input: { name: string; adminEmail: string; withWorkerToken?: boolean },
): Promise<CreatedOrg> {
  const org = await trx.insertInto('orgs').values({ name: input.name }).returning('id').executeTakeFirstOrThrow();
  const user = await trx
    .insertInto('users')
    .values({ email: input.adminEmail })
    .onConflict((oc) => oc.column('email').doUpdateSet({ email: input.adminEmail }))
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx.insertInto('org_members').values({ org_id: org.id, user_id: user.id, role: 'admin' }).execute();
  const by = systemActor(org.id);
  await appendAudit(trx, keys, by, {
    action: 'org.create',
    targetType: 'org',
    targetId: org.id,
    metadata: { name: input.name, adminEmail: input.adminEmail },
  });
  const admin = await issueToken(trx, keys, by, { orgId: org.id, kind: 'user', userId: user.id, name: 'admin' });
  const worker = input.withWorkerToken
    ? await issueToken(trx, keys, by, { orgId: org.id, kind: 'worker', name: 'runtime' })
    : undefined;
  return {
    orgId: org.id,
    adminUserId: user.id,
    adminToken: admin.token,
    ...(worker ? { workerToken: worker.token } : {}),
  };
}

/**
 * On an empty database: org `default` with an admin and a worker token. Undefined otherwise. An
 * advisory lock makes instances that start together on a new database create it once.
 */
export async function bootstrapIfEmpty(deps: OrgDeps): Promise<CreatedOrg | undefined> {
  return deps.db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended('strongroom:bootstrap', 0))`.execute(trx);
    const any = await trx.selectFrom('orgs').select('id').limit(1).executeTakeFirst();
    if (any) return undefined;
    return insertOrg(trx, deps.auditKeys, {
      name: 'default',
      adminEmail: 'admin@strongroom.local',
      withWorkerToken: true,
    });
  });
}

export async function createWorkerToken(deps: OrgDeps, orgId: string, name = 'runtime') {
  return deps.db
    .transaction()
    .execute((trx) => issueToken(trx, deps.auditKeys, systemActor(orgId), { orgId, kind: 'worker', name }));
}
