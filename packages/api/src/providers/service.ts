import type { Database } from '@strongroom/db';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { z } from 'zod';
import { appendAudit } from '../audit/service';
import { auditActor } from '../core/actor';
import type { Call } from '../core/call';
import { AppError, badInput, notFound } from '../core/errors';
import { iso } from '../core/schemas';
import { findSecret } from '../secrets/store';
import type { ProvidersTable } from '@strongroom/db';
import type { createProviderInput, Provider, updateProviderInput } from './schemas';
import { providerTypeOf } from './types';
import { lockOrgRow } from '../core/org-rows';

type ProviderRow = Selectable<ProvidersTable>;

function toProvider(row: ProviderRow): Provider {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    providerType: row.provider_type as Provider['providerType'],
    kind: row.kind,
    secretRef: row.secret_ref,
    config: providerTypeOf(row.provider_type).stored.parse(row.config),
    needsConfiguration: row.needs_configuration,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** An update's config, checked against the provider's own type (the input accepts any type's). */
function configFor(type: string, config: unknown) {
  const parsed = providerTypeOf(type).config.safeParse(config);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw badInput(['config', ...issue.path].join('.'), `config is not a ${type} config: ${issue.message}`);
}

/**
 * A provider key must be an agent-scope secret of the org; a foreign id reads as a missing one.
 * (Org-scope secrets need grants per chat, which a provider shared by agents cannot satisfy.)
 */
async function requireProviderKey(db: Kysely<Database>, orgId: string, secretRef: string) {
  const secret = await findSecret(db, orgId, secretRef, ['scope']);
  if (!secret) throw badInput('secretRef', 'secretRef does not name a secret of this org');
  if (secret.scope !== 'agent')
    throw badInput('secretRef', 'secretRef must name an agent-scope secret (provider keys are used by agents)');
}

export async function listProviders(call: Call): Promise<Provider[]> {
  const rows = await call.deps.db
    .selectFrom('providers')
    .selectAll()
    .where('org_id', '=', call.actor.orgId)
    .orderBy('name')
    .orderBy('id')
    .execute();
  return rows.map(toProvider);
}

export async function getProvider(call: Call, id: string): Promise<Provider> {
  const row = await call.deps.db
    .selectFrom('providers')
    .selectAll()
    .where('id', '=', id)
    .where('org_id', '=', call.actor.orgId)
    .executeTakeFirst();
  if (!row) throw notFound('Provider');
  return toProvider(row);
}

/** @example await createProvider(ctx, { name: 'OpenAI prod', providerType: 'cloudflare-ai-gateway', kind: 'openai', secretRef, config }) */
export async function createProvider(call: Call, input: z.output<typeof createProviderInput>): Promise<Provider> {
  const { actor } = call;
  return call.deps.db.transaction().execute(async (trx) => {
    await requireProviderKey(trx, actor.orgId, input.secretRef);
    const row = await trx
      .insertInto('providers')
      .values({
        org_id: actor.orgId,
        provider_type: input.providerType,
        kind: input.kind,
        name: input.name,
        secret_ref: input.secretRef,
        config: JSON.stringify(input.config),
        created_by: actor.userId,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendAudit(trx, call.deps.auditKeys, auditActor(actor, call.requestId), {
      action: 'provider.create',
      targetType: 'provider',
      targetId: row.id,
      metadata: { name: row.name, kind: row.kind, secretRef: row.secret_ref },
    });
    return toProvider(row);
  });
}

export async function updateProvider(call: Call, input: z.output<typeof updateProviderInput>): Promise<Provider> {
  const { actor } = call;
  return call.deps.db.transaction().execute(async (trx) => {
    const current = await lockOrgRow(trx, 'providers', actor.orgId, input.id, 'Provider');
    if (input.secretRef) await requireProviderKey(trx, actor.orgId, input.secretRef);
    const type = providerTypeOf(current.provider_type);
    const config = input.config === undefined ? current.config : configFor(current.provider_type, input.config);
    const secretRef = input.secretRef ?? current.secret_ref;
    const row = await trx
      .updateTable('providers')
      .set({
        ...(input.name === undefined ? {} : { name: input.name }),
        ...(input.kind === undefined ? {} : { kind: input.kind }),
        secret_ref: secretRef,
        config: JSON.stringify(config),
        needs_configuration: !(secretRef && type.config.safeParse(config).success),
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', current.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const changed = (['name', 'kind', 'secretRef', 'config'] as const).filter((k) => input[k] !== undefined);
    await appendAudit(trx, call.deps.auditKeys, auditActor(actor, call.requestId), {
      action: 'provider.update',
      targetType: 'provider',
      targetId: row.id,
      metadata: { changed, needsConfiguration: row.needs_configuration },
    });
    return toProvider(row);
  });
}

/** Refused while agents use the provider: the answer names them. */
export async function deleteProvider(call: Call, id: string): Promise<{ id: string }> {
  const { actor } = call;
  return call.deps.db.transaction().execute(async (trx) => {
    const row = await lockOrgRow(trx, 'providers', actor.orgId, id, 'Provider');
    const agents = await trx
      .selectFrom('agents')
      .select(['id', 'name'])
      .where('provider_id', '=', id)
      .orderBy('name')
      .execute();
    if (agents.length > 0) {
      throw new AppError(
        'CONFLICT',
        `Provider "${row.name}" is used by ${agents.map((a) => `agent "${a.name}"`).join(', ')}; move them to another provider first`,
        {
          reason: 'PROVIDER_IN_USE',
          details: { agents },
        },
      );
    }
    await trx.deleteFrom('providers').where('id', '=', id).execute();
    await appendAudit(trx, call.deps.auditKeys, auditActor(actor, call.requestId), {
      action: 'provider.delete',
      targetType: 'provider',
      targetId: id,
      metadata: { name: row.name, kind: row.kind },
    });
    return { id };
  });
}
