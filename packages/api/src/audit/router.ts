import type { Database } from '@strongroom/db';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { AppError } from '../core/errors';
import { id, instant, INT32_MAX, iso, pageLimit, text, timestamp } from '../core/schemas';
import { adminProcedure, openapi, router } from '../core/trpc';
import { AUDIT_ACTIONS } from './actions';
import { targetNames } from './target-names';
import { verifyChain } from './verify';

const listInput = z
  .strictObject({
    action: z.enum(AUDIT_ACTIONS).optional(),
    targetId: text({ min: 1, max: 200 }).optional(),
    actorId: id.optional(),
    since: instant.optional(),
    /** False leaves out what the agents runtime did (worker rows such as `secret.access`), which can drown the rest. */
    includeRuntime: z.boolean().optional(),
    /** The `seq` of the last row of the previous page. */
    cursor: text({ max: 10 })
      .refine((c) => /^\d{1,10}$/.test(c) && Number(c) <= INT32_MAX, { error: 'must be a cursor from a previous page' })
      .optional(),
    limit: pageLimit,
  })
  .prefault({});

const auditEvent = z.strictObject({
  id,
  seq: z.number().int(),
  action: z.string(),
  actorType: z.string(),
  actorId: z.string().nullable(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  /** What the target is called now, or was called when the row was written (e.g. a deleted secret). */
  targetName: z.string().nullable(),
  requestId: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: timestamp,
});

async function listAudit(db: Kysely<Database>, orgId: string, input: z.output<typeof listInput>) {
  let query = db.selectFrom('audit_log').selectAll().where('org_id', '=', orgId);
  if (input.action) query = query.where('action', '=', input.action);
  if (input.targetId) query = query.where('target_id', '=', input.targetId);
  if (input.actorId) query = query.where('actor_id', '=', input.actorId);
  if (input.includeRuntime === false) query = query.where('actor_type', '!=', 'worker');
  if (input.since) query = query.where('created_at', '>=', new Date(input.since));
  if (input.cursor) query = query.where('seq', '<', Number(input.cursor));
  const rows = await query
    .orderBy('seq', 'desc')
    .limit(input.limit + 1)
    .execute();
  const page = rows.slice(0, input.limit);
  const nameOf = await targetNames(db, orgId, page);
  return {
    items: page.map((r) => ({
      id: r.id,
      seq: r.seq,
      action: r.action,
      actorType: r.actor_type,
      actorId: r.actor_id,
      targetType: r.target_type,
      targetId: r.target_id,
      targetName: nameOf(r),
      requestId: r.request_id,
      metadata: r.metadata,
      createdAt: iso(r.created_at),
    })),
    nextCursor: rows.length > input.limit ? String(page.at(-1)!.seq) : null,
  };
}

export const auditRouter = router({
  /** Newest first. */
  list: adminProcedure
    .meta(openapi('GET', '/audit.list'))
    .input(listInput)
    .output(z.strictObject({ items: z.array(auditEvent), nextCursor: z.string().nullable() }))
    .query(({ ctx, input }) => {
      if (input.since && Number.isNaN(Date.parse(input.since))) {
        throw new AppError('BAD_REQUEST', 'since is not a valid date', { field: 'since' });
      }
      return listAudit(ctx.deps.db, ctx.actor.orgId, input);
    }),
  /**
   * Recomputes the org's keyed chain and names the first row that does not fit: from the last
   * verified checkpoint (default), or from the first row with `mode: 'full'`. The platform chain
   * (rows of no org) is the operator's: `strongroom audit verify --platform`.
   */
  verify: adminProcedure
    .meta(openapi('GET', '/audit.verify'))
    .input(z.strictObject({ mode: z.enum(['incremental', 'full']).optional() }).optional())
    .output(
      z.strictObject({
        ok: z.boolean(),
        checked: z.number().int(),
        firstBrokenId: id.optional(),
        problem: z.string().optional(),
        mode: z.enum(['incremental', 'full']),
        fromSeq: z.number().int(),
      }),
    )
    .query(({ ctx, input }) => verifyChain(ctx.deps, ctx.actor.orgId, input?.mode)),
});
