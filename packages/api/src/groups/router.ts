import { z } from 'zod';
import { appendAudit } from '../audit/service';
import { auditActor } from '../core/actor';
import { displayName, emptyInput, id } from '../core/schemas';
import { adminProcedure, memberProcedure, openapi, router } from '../core/trpc';

const group = z.strictObject({ id, name: z.string() });

/** Groups are the platform's chats: what org-scope secret grants name. */
export const groupsRouter = router({
  list: memberProcedure
    .meta(openapi('GET', '/groups.list'))
    .input(emptyInput)
    .output(z.array(group))
    .query(({ ctx }) =>
      ctx.deps.db
        .selectFrom('groups')
        .select(['id', 'name'])
        .where('org_id', '=', ctx.actor.orgId)
        .orderBy('name')
        .execute(),
    ),
  create: adminProcedure
    .meta(openapi('POST', '/groups.create'))
    .input(z.strictObject({ name: displayName(100) }))
    .output(group)
    .mutation(({ ctx, input }) =>
      ctx.deps.db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('groups')
          .values({ org_id: ctx.actor.orgId, name: input.name })
          .returning(['id', 'name'])
          .executeTakeFirstOrThrow();
        await appendAudit(trx, ctx.deps.auditKeys, auditActor(ctx.actor, ctx.requestId), {
          action: 'group.create',
          targetType: 'group',
          targetId: row.id,
          metadata: { name: row.name },
        });
        return row;
      }),
    ),
});
