import { z } from 'zod';
import { id } from '../core/schemas';
import { adminProcedure, memberProcedure, openapi, router } from '../core/trpc';
import { exportNamespace, runEnv } from './bulk-reveal';
import { importSecrets } from './import';
import {
  createSecretInput,
  exportInput,
  exportOutput,
  importInput,
  importOutput,
  listSecretsInput,
  optionsInput,
  revealInput,
  rollbackInput,
  runEnvInput,
  runEnvOutput,
  scope,
  secretMeta,
  updateSecretInput,
} from './schemas';
import * as secrets from './service';

const byId = z.strictObject({ id });

export const secretsRouter = router({
  list: adminProcedure
    .meta(openapi('GET', '/secrets.list'))
    .input(listSecretsInput)
    .output(z.strictObject({ items: z.array(secretMeta), nextCursor: z.string().nullable() }))
    .query(({ ctx, input }) => secrets.listSecrets(ctx, input)),
  get: adminProcedure
    .meta(openapi('GET', '/secrets.get'))
    .input(byId)
    .output(secretMeta)
    .query(({ ctx, input }) => secrets.getSecret(ctx, input.id)),
  create: adminProcedure
    .meta(openapi('POST', '/secrets.create'))
    .input(createSecretInput)
    .output(secretMeta)
    .mutation(({ ctx, input }) => secrets.createSecret(ctx, input)),
  update: adminProcedure
    .meta(openapi('POST', '/secrets.update'))
    .input(updateSecretInput)
    .output(secretMeta)
    .mutation(({ ctx, input }) => secrets.updateSecret(ctx, input)),
  delete: adminProcedure
    .meta(openapi('POST', '/secrets.delete'))
    .input(byId)
    .output(byId)
    .mutation(({ ctx, input }) => secrets.deleteSecret(ctx, input.id)),
  /** The one way a value leaves the server for a person: admin only, audited, rate-limited. */
  reveal: adminProcedure
    .meta(openapi('POST', '/secrets.reveal'))
    .input(revealInput)
    .output(z.strictObject({ id, version: z.number().int(), value: z.string() }))
    .mutation(({ ctx, input }) => secrets.revealSecret(ctx, input)),
  /** A whole namespace as a `.env` file: admin only, audited as one row, its own rate limit. */
  export: adminProcedure
    .meta(openapi('POST', '/secrets.export'))
    .input(exportInput)
    .output(exportOutput)
    .mutation(({ ctx, input }) => exportNamespace(ctx, input)),
  /** A whole namespace for `strongroom run`, audited with the command's name; as export otherwise. */
  runEnv: adminProcedure
    .meta(openapi('POST', '/secrets.runEnv'))
    .input(runEnvInput)
    .output(runEnvOutput)
    .mutation(({ ctx, input }) => runEnv(ctx, input)),
  versions: adminProcedure
    .meta(openapi('GET', '/secrets.versions'))
    .input(byId)
    .output(z.array(z.strictObject({ version: z.number().int(), createdAt: z.string(), createdBy: id.nullable() })))
    .query(({ ctx, input }) => secrets.listVersions(ctx, input.id)),
  rollback: adminProcedure
    .meta(openapi('POST', '/secrets.rollback'))
    .input(rollbackInput)
    .output(secretMeta)
    .mutation(({ ctx, input }) => secrets.rollbackSecret(ctx, input)),
  /** A .env file or JSON object of names to values, all or nothing; `dryRun` is the preview. */
  import: adminProcedure
    .meta(openapi('POST', '/secrets.import'))
    .input(importInput)
    .output(importOutput)
    .mutation(({ ctx, input }) => importSecrets(ctx, input)),
  options: memberProcedure
    .meta(openapi('GET', '/secrets.options'))
    .input(optionsInput)
    .output(z.array(z.strictObject({ id, name: z.string(), namespace: z.string(), scope })))
    .query(({ ctx, input }) => secrets.secretOptions(ctx, input)),
});
