import type { Database, TokenKind } from '@strongroom/db';
import { sql, type Transaction } from 'kysely';
import type { AuditKeys } from '../audit/keys';
import { appendAudit } from '../audit/service';
import { type AuditActor, auditActor } from '../core/actor';
import type { Call } from '../core/call';
import { publish } from '../core/event-hub';
import { badInput, notFound } from '../core/errors';
import { iso, isoOrNull } from '../core/schemas';
import { generateToken } from './token-format';

export interface IssueTokenInput {
  orgId: string;
  kind: TokenKind;
  name: string;
  /** Required for user tokens: whom the token acts as. */
  userId?: string | null;
  expiresAt?: Date | null;
  createdBy?: string | null;
}

/**
 * Issues a token inside the caller's transaction and audits it. The plaintext token is returned
 * once and never stored: only its SHA-256 hash is.
 */
export async function issueToken(
  trx: Transaction<Database>,
  keys: Pick<AuditKeys, 'current'>,
  by: AuditActor,
  input: IssueTokenInput,
) {
  const { token, hash, hint } = generateToken(input.kind);
  const row = await trx
    .insertInto('api_tokens')
    .values({
      org_id: input.orgId,
      user_id: input.kind === 'user' ? (input.userId ?? null) : null,
      kind: input.kind,
      name: input.name,
      token_hash: hash,
      token_hint: hint,
      created_by: input.createdBy ?? null,
      expires_at: input.expiresAt ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await appendAudit(trx, keys, by, {
    action: 'token.create',
    targetType: 'token',
    targetId: row.id,
    metadata: { kind: input.kind, name: input.name, userId: input.userId ?? null },
  });
  return { id: row.id, token };
}

export async function listTokens(call: Call) {
  const rows = await call.deps.db
    .selectFrom('api_tokens')
    .select(['id', 'name', 'kind', 'user_id', 'token_hint', 'created_at', 'expires_at', 'revoked_at', 'last_used_at'])
    .where('org_id', '=', call.actor.orgId)
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    kind: r.kind,
    userId: r.user_id,
    hint: r.token_hint,
    createdAt: iso(r.created_at),
    expiresAt: isoOrNull(r.expires_at),
    revokedAt: isoOrNull(r.revoked_at),
    lastUsedAt: isoOrNull(r.last_used_at),
  }));
}

/** An optional expiry as a Date; one already past is refused (BAD_REQUEST on `expiresAt`). */
export function futureExpiry(expiresAt: string | undefined): Date | null {
  const at = expiresAt ? new Date(expiresAt) : null;
  if (at && at.getTime() <= Date.now()) throw badInput('expiresAt', 'expiresAt must be in the future');
  return at;
}

/** A user token acts as the admin who creates it; a worker token is the org's runtime. */
export async function createToken(
  call: Call,
  input: { name: string; kind: TokenKind; expiresAt?: string | undefined },
) {
  const expiresAt = futureExpiry(input.expiresAt);
  return call.deps.db.transaction().execute((trx) =>
    issueToken(trx, call.deps.auditKeys, auditActor(call.actor, call.requestId), {
      orgId: call.actor.orgId,
      kind: input.kind,
      name: input.name,
      userId: call.actor.userId,
      expiresAt,
      createdBy: call.actor.userId,
    }),
  );
}

export async function revokeToken(call: Call, id: string) {
  const result = await call.deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('api_tokens')
      .set({ revoked_at: sql<Date>`coalesce(revoked_at, now())` })
      .where('id', '=', id)
      .where('org_id', '=', call.actor.orgId)
      .returning(['id', 'kind', 'name'])
      .executeTakeFirst();
    if (!row) throw notFound('Token');
    await appendAudit(trx, call.deps.auditKeys, auditActor(call.actor, call.requestId), {
      action: 'token.revoke',
      targetType: 'token',
      targetId: id,
      metadata: { kind: row.kind, name: row.name },
    });
    await publish(trx, { type: 'auth.changed', tokenId: id });
    return { id };
  });
  call.deps.auth.forget({ type: 'auth.changed', tokenId: id });
  return result;
}
