import type { Database, Role } from '@strongroom/db';
import { sql, type Transaction } from 'kysely';
import { appendAudit } from '../audit/service';
import { auditActor } from '../core/actor';
import type { Call } from '../core/call';
import { publish } from '../core/event-hub';
import { AppError, notFound } from '../core/errors';
import { iso } from '../core/schemas';
import { futureExpiry, issueToken } from '../tokens/service';

export async function listMembers(call: Call) {
  const rows = await call.deps.db
    .selectFrom('org_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.user_id', 'u.email', 'm.role', 'm.created_at'])
    .where('m.org_id', '=', call.actor.orgId)
    .orderBy('u.email')
    .execute();
  return rows.map((r) => ({ userId: r.user_id, email: r.email, role: r.role, createdAt: iso(r.created_at) }));
}

/** Adds a person (creating the user if new) and issues their first user token, shown once. */
export async function addMember(call: Call, input: { email: string; role: Role }) {
  const { actor } = call;
  return call.deps.db.transaction().execute(async (trx) => {
    const user = await trx
      .insertInto('users')
      .values({ email: input.email })
      .onConflict((oc) => oc.column('email').doUpdateSet({ email: input.email }))
      .returning('id')
      .executeTakeFirstOrThrow();
    const added = await trx
      .insertInto('org_members')
      .values({ org_id: actor.orgId, user_id: user.id, role: input.role })
      .onConflict((oc) => oc.doNothing())
      .returning('user_id')
      .executeTakeFirst();
    if (!added) {
      throw new AppError('CONFLICT', `${input.email} is already a member of this org`, {
        field: 'email',
        reason: 'ALREADY_MEMBER',
      });
    }
    const by = auditActor(actor, call.requestId);
    await appendAudit(trx, call.deps.auditKeys, by, {
      action: 'member.add',
      targetType: 'user',
      targetId: user.id,
      metadata: { email: input.email, role: input.role },
    });
    const { token } = await issueToken(trx, call.deps.auditKeys, by, {
      orgId: actor.orgId,
      kind: 'user',
      userId: user.id,
      name: `first token of ${input.email}`,
      createdBy: actor.userId,
    });
    return { userId: user.id, token };
  });
}

/** Locks the org's membership rows so two concurrent demotions cannot remove the last admin. */
async function lockMembers(trx: Transaction<Database>, orgId: string) {
  return trx.selectFrom('org_members').select(['user_id', 'role']).where('org_id', '=', orgId).forUpdate().execute();
}

function guardLastAdmin(members: { user_id: string; role: Role }[], userId: string) {
  const admins = members.filter((m) => m.role === 'admin');
  if (admins.length === 1 && admins[0]!.user_id === userId) {
    throw new AppError(
      'CONFLICT',
      'The last admin of an org cannot be removed or demoted; promote someone else first',
      {
        reason: 'LAST_ADMIN',
        field: 'userId',
      },
    );
  }
}

/**
 * A new user token for a member, e.g. when theirs is lost: shown once, audited (`token.create`),
 * refused at sign-in after `expiresAt`. The member row is read FOR SHARE so a concurrent removal,
 * which revokes their tokens, cannot miss this one.
 */
export async function issueMemberToken(
  call: Call,
  input: { userId: string; name?: string | undefined; expiresAt?: string | undefined },
) {
  const { actor } = call;
  const expiresAt = futureExpiry(input.expiresAt);
  return call.deps.db.transaction().execute(async (trx) => {
    const member = await trx
      .selectFrom('org_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['u.email'])
      .where('m.org_id', '=', actor.orgId)
      .where('m.user_id', '=', input.userId)
      .forShare('m')
      .executeTakeFirst();
    if (!member) throw notFound('Member');
    return issueToken(trx, call.deps.auditKeys, auditActor(actor, call.requestId), {
      orgId: actor.orgId,
      kind: 'user',
      userId: input.userId,
      name: input.name ?? `token of ${member.email}`,
      expiresAt,
      createdBy: actor.userId,
    });
  });
}

/** Ends trust in a member's tokens here at once, and (through NOTIFY, sent in `trx`) everywhere. */
async function authChanged(call: Call, trx: Transaction<Database>, userId: string) {
  const event = { type: 'auth.changed' as const, orgId: call.actor.orgId, userId };
  await publish(trx, event);
  return () => call.deps.auth.forget(event);
}

/** Removes a member and revokes every token they hold in this org. */
export async function removeMember(call: Call, userId: string) {
  const { actor } = call;
  const [result, forget] = await call.deps.db.transaction().execute(async (trx) => {
    const members = await lockMembers(trx, actor.orgId);
    const member = members.find((m) => m.user_id === userId);
    if (!member) throw notFound('Member');
    guardLastAdmin(members, userId);
    await trx.deleteFrom('org_members').where('org_id', '=', actor.orgId).where('user_id', '=', userId).execute();
    const revoked = await trx
      .updateTable('api_tokens')
      .set({ revoked_at: sql<Date>`now()` })
      .where('org_id', '=', actor.orgId)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .returning('id')
      .execute();
    await appendAudit(trx, call.deps.auditKeys, auditActor(actor, call.requestId), {
      action: 'member.remove',
      targetType: 'user',
      targetId: userId,
      metadata: { role: member.role, tokensRevoked: revoked.length },
    });
    return [{ ok: true as const }, await authChanged(call, trx, userId)] as const;
  });
  forget();
  return result;
}

export async function setMemberRole(call: Call, input: { userId: string; role: Role }) {
  const { actor } = call;
  const [result, forget] = await call.deps.db.transaction().execute(async (trx) => {
    const members = await lockMembers(trx, actor.orgId);
    const member = members.find((m) => m.user_id === input.userId);
    if (!member) throw notFound('Member');
    if (member.role === input.role) return [{ ok: true as const }, () => {}] as const;
    if (input.role !== 'admin') guardLastAdmin(members, input.userId);
    await trx
      .updateTable('org_members')
      .set({ role: input.role })
      .where('org_id', '=', actor.orgId)
      .where('user_id', '=', input.userId)
      .execute();
    await appendAudit(trx, call.deps.auditKeys, auditActor(actor, call.requestId), {
      action: 'member.role',
      targetType: 'user',
      targetId: input.userId,
      metadata: { from: member.role, to: input.role },
    });
    return [{ ok: true as const }, await authChanged(call, trx, input.userId)] as const;
  });
  forget();
  return result;
}
