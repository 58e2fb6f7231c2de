import { TRPCError } from '@trpc/server';
import { appendAudit } from '../audit/service';
import { auditActor, type WorkerActor } from '../core/actor';
import type { Call } from '../core/call';
import type { SecretEvent } from '../core/event-hub';
import { openSecretValue, secretContext } from '../secrets/sealing';
import { decide, type ResolutionRequest } from './access';

/**
 * Resolves a secret for an agent's run: decides by org, scope, grants and references, audits
 * `secret.access` (with agent, chat and run id) in the same transaction as the read, or audits
 * `secret.access_denied` in its own and answers FORBIDDEN.
 * @example const { value } = await resolveSecret(ctx, { orgId, secretId, agentId, chatId, runId });
 */
export async function resolveSecret(call: Call<WorkerActor>, input: ResolutionRequest & { runId?: string | undefined }) {
  const { deps } = call;
  const by = auditActor(call.actor, call.requestId);
  const metadata = { agentId: input.agentId, chatId: input.chatId ?? null, runId: input.runId ?? null };
  const outcome = await deps.db.transaction().execute(async (trx) => {
    const { secret, decision } = await decide(trx, input);
    if (!decision.allowed) return decision;
    const value = await openSecretValue(deps, secretContext(input.orgId, input.secretId, secret.version), secret.value);
    await appendAudit(trx, by, {
      action: 'secret.access',
      targetType: 'secret',
      targetId: input.secretId,
      metadata: { ...metadata, version: secret.version, via: decision.via },
    });
    return { id: input.secretId, version: secret.version, value };
  });
  if ('reason' in outcome) {
    await deps.db.transaction().execute((trx) =>
      appendAudit(trx, by, { action: 'secret.access_denied', targetType: 'secret', targetId: input.secretId, metadata: { ...metadata, reason: outcome.reason } }),
    );
    throw new TRPCError({ code: 'FORBIDDEN', message: `The secret may not be used here: ${outcome.reason}` });
  }
  return outcome;
}

/** Current versions of the org's secrets among `ids`; ids not found are left out. */
export async function secretVersions(call: Call<WorkerActor>, orgId: string, ids: string[]) {
  if (ids.length === 0) return {};
  const rows = await call.deps.db
    .selectFrom('secrets')
    .select(['id', 'version'])
    .where('org_id', '=', orgId)
    .where('id', 'in', ids)
    .execute();
  return Object.fromEntries(rows.map((r) => [r.id, r.version]));
}

/**
 * The org's change events as they commit. Ends when the instance's LISTEN connection had to
 * reconnect (events may have been missed): the client reconnects and re-checks versions.
 */
export async function* secretEvents(call: Call<WorkerActor>, orgId: string, signal: AbortSignal | undefined) {
  const queue: SecretEvent[] = [];
  let wake: (() => void) | undefined;
  let resync = false;
  const offEvent = call.deps.events.onSecret(orgId, (event) => {
    queue.push(event);
    wake?.();
  });
  const offResync = call.deps.events.onResync(() => {
    resync = true;
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    while (!signal?.aborted && !resync) {
      const event = queue.shift();
      if (event) {
        yield event;
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    offEvent();
    offResync();
    signal?.removeEventListener('abort', onAbort);
  }
}
