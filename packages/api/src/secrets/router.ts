import { z } from 'zod';
import { id } from '../core/schemas';
import { adminProcedure, memberProcedure, router } from '../core/trpc';
import {
  createSecretInput,
  listSecretsInput,
  optionsInput,
  revealInput,
  rollbackInput,
  scope,
  secretMeta,
  updateSecretInput,
} from './schemas';
import * as secrets from './service';

const byId = z.strictObject({ id });

export const secretsRouter = router({
  list: adminProcedure
    .input(listSecretsInput)
    .output(z.strictObject({ items: z.array(secretMeta), nextCursor: z.string().nullable() }))
    .query(({ ctx, input }) => secrets.listSecrets(ctx, input)),
  get: adminProcedure
    .input(byId)
    .output(secretMeta)
    .query(({ ctx, input }) => secrets.getSecret(ctx, input.id)),
  create: adminProcedure
    .input(createSecretInput)
    .output(secretMeta)
    .mutation(({ ctx, input }) => secrets.createSecret(ctx, input)),
  update: adminProcedure
    .input(updateSecretInput)
    .output(secretMeta)
    .mutation(({ ctx, input }) => secrets.updateSecret(ctx, input)),
  delete: adminProcedure
    .input(byId)
    .output(byId)
    .mutation(({ ctx, input }) => secrets.deleteSecret(ctx, input.id)),
  /** The one way a value leaves the server for a person: admin only, audited, rate-limited. */
  reveal: adminProcedure
    .input(revealInput)
    .output(z.strictObject({ id, version: z.number().int(), value: z.string() }))
    .mutation(({ ctx, input }) => secrets.revealSecret(ctx, input)),
  versions: adminProcedure
    .input(byId)
    .output(z.array(z.strictObject({ version: z.number().int(), createdAt: z.string(), createdBy: id.nullable() })))
    .query(({ ctx, input }) => secrets.listVersions(ctx, input.id)),
  rollback: adminProcedure
    .input(rollbackInput)
    .output(secretMeta)
    .mutation(({ ctx, input }) => secrets.rollbackSecret(ctx, input)),
  options: memberProcedure
    .input(optionsInput)
    .output(z.array(z.strictObject({ id, name: z.string(), namespace: z.string(), scope })))
    .query(({ ctx, input }) => secrets.secretOptions(ctx, input)),
});
