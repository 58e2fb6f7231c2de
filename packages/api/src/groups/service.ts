import { appendAudit } from '../audit/service';
import { auditActor } from '../core/actor';
import type { Call } from '../core/call';
import { AppError } from '../core/errors';
import { iso } from '../core/schemas';
import { lockOrgRow } from '../core/org-rows';

export async function listGroups(call: Call) {
  return call.deps.db
    .selectFrom('groups')
    .select(['id', 'name'])
    .where('org_id', '=', call.actor.orgId)
    .orderBy('name')
    .orderBy('id')
    .execute();
}

/** Secrets granted to each of the org's groups, for the console's Groups page (names, never values). */
export async function listGroupsWithGrants(call: Call) {
  const orgId = call.actor.orgId;
  const [groups, grants] = await Promise.all([
    call.deps.db
      .selectFrom('groups')
      .select(['id', 'name', 'created_at'])
      .where('org_id', '=', orgId)
      .orderBy('name')
      .orderBy('id')
      .execute(),
    call.deps.db
      .selectFrom('secret_grants as g')
      .innerJoin('secrets as s', 's.id', 'g.secret_id')
      .select(['g.grantee_id', 's.id', 's.name', 's.namespace'])
      .where('s.org_id', '=', orgId)
      .where('g.grantee_type', '=', 'group')
      .orderBy('s.namespace')
      .orderBy('s.name')
      .execute(),
  ]);
  return groups.map((group) => ({
    id: group.id,
    name: group.name,
    createdAt: iso(group.created_at),
    secrets: grants
      .filter((grant) => grant.grantee_id === group.id)
      .map((grant) => ({ id: grant.id, name: grant.name, namespace: grant.namespace })),
  }));
}

export async function createGroup(call: Call, name: string) {
  return call.deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('groups')
      .values({ org_id: call.actor.orgId, name })
      .returning(['id', 'name'])
      .executeTakeFirstOrThrow();
    await appendAudit(trx, call.deps.auditKeys, auditActor(call.actor, call.requestId), {
      action: 'group.create',
      targetType: 'group',
      targetId: row.id,
      metadata: { name: row.name },
    });
    return row;
  });
}

export async function renameGroup(call: Call, input: { id: string; name: string }) {
  return call.deps.db.transaction().execute(async (trx) => {
    const before = await lockOrgRow(trx, 'groups', call.actor.orgId, input.id, 'Group');
    if (before.name === input.name) return { id: before.id, name: before.name };
    const row = await trx
      .updateTable('groups')
      .set({ name: input.name })
      .where('id', '=', input.id)
      .returning(['id', 'name'])
      .executeTakeFirstOrThrow();
    await appendAudit(trx, call.deps.auditKeys, auditActor(call.actor, call.requestId), {
      action: 'group.rename',
      targetType: 'group',
      targetId: row.id,
      metadata: { from: before.name, name: row.name },
    });
    return row;
  });
}

/** Refused (CONFLICT, naming the secrets) while a grant names the group: removing access is a choice made per grant. */
export async function deleteGroup(call: Call, id: string) {
  return call.deps.db.transaction().execute(async (trx) => {
    // Locked: a grant being added to the group (which reads it FOR SHARE) waits for the delete.
    const group = await lockOrgRow(trx, 'groups', call.actor.orgId, id, 'Group');
    const granted = await trx
      .selectFrom('secret_grants as g')
      .innerJoin('secrets as s', 's.id', 'g.secret_id')
      .select(['s.id', 's.name', 's.namespace'])
      .where('g.grantee_type', '=', 'group')
      .where('g.grantee_id', '=', id)
      .orderBy('s.namespace')
      .orderBy('s.name')
      .execute();
    if (granted.length > 0) {
      const names = granted.map((s) => `"${s.namespace}/${s.name}"`).join(', ');
      throw new AppError(
        'CONFLICT',
        `Group "${group.name}" is granted ${granted.length === 1 ? 'secret' : 'secrets'} ${names}; remove those grants first`,
        { reason: 'GROUP_IN_USE', details: { secrets: granted } },
      );
    }
    // group_members rows go with it (on delete cascade).
    await trx.deleteFrom('groups').where('id', '=', id).execute();
    await appendAudit(trx, call.deps.auditKeys, auditActor(call.actor, call.requestId), {
      action: 'group.delete',
      targetType: 'group',
      targetId: id,
      metadata: { name: group.name },
    });
    return { id };
  });
}
