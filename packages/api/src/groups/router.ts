import { z } from 'zod';
import { displayName, emptyInput, id, timestamp } from '../core/schemas';
import { adminProcedure, memberProcedure, openapi, router } from '../core/trpc';
import * as groups from './service';

const group = z.strictObject({ id, name: z.string() });
const name = displayName(100);

/** Groups are the platform's chats: what org-scope secret grants name. */
export const groupsRouter = router({
  list: memberProcedure
    .meta(openapi('GET', '/groups.list'))
    .input(emptyInput)
    .output(z.array(group))
    .query(({ ctx }) => groups.listGroups(ctx)),
  /** Each group with the secrets granted to it (names only): what a chat may use at run time. */
  overview: adminProcedure
    .meta(openapi('GET', '/groups.overview'))
    .input(emptyInput)
    .output(
      z.array(
        z.strictObject({
          id,
          name: z.string(),
          createdAt: timestamp,
          secrets: z.array(z.strictObject({ id, name: z.string(), namespace: z.string() })),
        }),
      ),
    )
    .query(({ ctx }) => groups.listGroupsWithGrants(ctx)),
  create: adminProcedure
    .meta(openapi('POST', '/groups.create'))
    .input(z.strictObject({ name }))
    .output(group)
    .mutation(({ ctx, input }) => groups.createGroup(ctx, input.name)),
  rename: adminProcedure
    .meta(openapi('POST', '/groups.rename'))
    .input(z.strictObject({ id, name }))
    .output(group)
    .mutation(({ ctx, input }) => groups.renameGroup(ctx, input)),
  /** CONFLICT (reason GROUP_IN_USE, naming the secrets) while grants name the group. */
  delete: adminProcedure
    .meta(openapi('POST', '/groups.delete'))
    .input(z.strictObject({ id }))
    .output(z.strictObject({ id }))
    .mutation(({ ctx, input }) => groups.deleteGroup(ctx, input.id)),
});
