import { z } from 'zod';
import { displayName, emptyInput, id, instant, text, timestamp } from '../core/schemas';
import { adminProcedure, openapi, router } from '../core/trpc';
import * as members from './service';

const role = z.enum(['admin', 'member']);
const ok = z.strictObject({ ok: z.literal(true) });
const email = text({ max: 254 }).toLowerCase().pipe(z.email());

export const membersRouter = router({
  list: adminProcedure
    .meta(openapi('GET', '/members.list'))
    .input(emptyInput)
    .output(z.array(z.strictObject({ userId: id, email: z.string(), role, createdAt: timestamp })))
    .query(({ ctx }) => members.listMembers(ctx)),
  add: adminProcedure
    .meta(openapi('POST', '/members.add'))
    .input(z.strictObject({ email, role }))
    .output(z.strictObject({ userId: id, token: z.string() }))
    .mutation(({ ctx, input }) => members.addMember(ctx, input)),
  remove: adminProcedure
    .meta(openapi('POST', '/members.remove'))
    .input(z.strictObject({ userId: id }))
    .output(ok)
    .mutation(({ ctx, input }) => members.removeMember(ctx, input.userId)),
  /** A new user token for a member (theirs was lost), shown once; revoke old ones with `tokens.revoke`. */
  issueToken: adminProcedure
    .meta(openapi('POST', '/members.issueToken'))
    .input(z.strictObject({ userId: id, name: displayName(100).optional(), expiresAt: instant.optional() }))
    .output(z.strictObject({ id, token: z.string() }))
    .mutation(({ ctx, input }) => members.issueMemberToken(ctx, input)),
  setRole: adminProcedure
    .meta(openapi('POST', '/members.setRole'))
    .input(z.strictObject({ userId: id, role }))
    .output(ok)
    .mutation(({ ctx, input }) => members.setMemberRole(ctx, input)),
});
