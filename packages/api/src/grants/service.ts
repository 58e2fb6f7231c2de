import type { Database, GranteeType } from '@strongroom/db';
import type { Kysely, Transaction } from 'kysely';
import { appendAudit } from '../audit/service';
import { auditActor } from '../core/actor';
import type { Call } from '../core/call';
import { publish } from '../core/event-hub';
import { AppError, notFound } from '../core/errors';
import { iso } from '../core/schemas';
import { findSecret } from '../secrets/store';

export interface GrantInput {
  secretId: string;
  granteeType: GranteeType;
  granteeId: string;
}

async function requireOrgSecret(db: Kysely<Database>, orgId: string, secretId: string) {
  const secret = await findSecret(db, orgId, secretId, ['id', 'scope', 'name', 'version']);
  if (!secret) throw notFound('Secret');
  return secret;
}

/**
 * The grantee must be a group (chat) or an agent of the same org. Read FOR SHARE, so a delete of
 * it (which locks it FOR UPDATE, then refuses or drops its grants) cannot leave this grant behind.
 */
async function requireGrantee(trx: Transaction<Database>, orgId: string, type: GranteeType, id: string) {
  const table = type === 'group' ? 'groups' : 'agents';
  const found = await trx
    .selectFrom(table)
    .select('id')
    .where('id', '=', id)
    .where('org_id', '=', orgId)
    .forShare()
    .executeTakeFirst();
  if (!found) {
    throw new AppError('NOT_FOUND', `${type === 'group' ? 'Group' : 'Agent'} not found`, { field: 'granteeId' });
  }
}

export async function listGrants(call: Call, secretId: string) {
  await requireOrgSecret(call.deps.db, call.actor.orgId, secretId);
  const rows = await call.deps.db
    .selectFrom('secret_grants')
    .select(['grantee_type', 'grantee_id', 'created_at'])
    .where('secret_id', '=', secretId)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({ granteeType: r.grantee_type, granteeId: r.grantee_id, createdAt: iso(r.created_at) }));
}

/** Grants an org-scope secret to a chat's group or an agent; granting twice changes nothing. */
export async function addGrant(call: Call, input: GrantInput) {
  const { deps, actor } = call;
  return deps.db.transaction().execute(async (trx) => {
    const secret = await requireOrgSecret(trx, actor.orgId, input.secretId);
    if (secret.scope !== 'org') {
      throw new AppError(
        'BAD_REQUEST',
        'Grants apply to org-scope secrets; an agent-scope secret is already usable by every agent of the org',
        { field: 'secretId', reason: 'GRANT_NOT_APPLICABLE' },
      );
    }
    await requireGrantee(trx, actor.orgId, input.granteeType, input.granteeId);
    const inserted = await trx
      .insertInto('secret_grants')
      .values({
        secret_id: input.secretId,
        grantee_type: input.granteeType,
        grantee_id: input.granteeId,
        created_by: actor.userId,
      })
      .onConflict((oc) => oc.doNothing())
      .returning('secret_id')
      .executeTakeFirst();
    if (inserted) {
      await appendAudit(trx, deps.auditKeys, auditActor(actor, call.requestId), {
        action: 'grant.add',
        targetType: 'secret',
        targetId: input.secretId,
        metadata: { granteeType: input.granteeType, granteeId: input.granteeId },
      });
    }
    return { ok: true as const };
  });
}

export async function removeGrant(call: Call, input: GrantInput) {
  const { deps, actor } = call;
  return deps.db.transaction().execute(async (trx) => {
    await requireOrgSecret(trx, actor.orgId, input.secretId);
    const removed = await trx
      .deleteFrom('secret_grants')
      .where('secret_id', '=', input.secretId)
      .where('grantee_type', '=', input.granteeType)
      .where('grantee_id', '=', input.granteeId)
      .returning('secret_id')
      .executeTakeFirst();
    if (!removed) throw notFound('Grant');
    // Runtimes drop cached copies on this event, so the revoked grant stops working there too.
    const { version } = await requireOrgSecret(trx, actor.orgId, input.secretId);
    await publish(trx, { type: 'secret.changed', orgId: actor.orgId, id: input.secretId, version });
    await appendAudit(trx, deps.auditKeys, auditActor(actor, call.requestId), {
      action: 'grant.remove',
      targetType: 'secret',
      targetId: input.secretId,
      metadata: { granteeType: input.granteeType, granteeId: input.granteeId },
    });
    return { ok: true as const };
  });
}
