import { CryptoError } from '@strongroom/crypto';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { emptyInput, id } from '../core/schemas';
import { memberProcedure, openapi, publicProcedure } from '../core/trpc';
import { countRotationDue } from '../secrets/store';

const status = z.enum(['up', 'down']);

/**
 * Whether the database and the keyring answer; what `/readyz` and `health` report. A KEK that an
 * envelope named and this instance does not hold makes the keyring `down`, named in `missingKek`.
 */
export async function readiness(deps: Pick<AppDeps, 'storage' | 'keyring'>) {
  let missingKek: string | undefined;
  const probe = (p: Promise<unknown>) =>
    p.then(
      () => 'up' as const,
      (err: unknown) => {
        if (err instanceof CryptoError && err.keyId) missingKek = err.keyId;
        return 'down' as const;
      },
    );
  const [database, keyring] = await Promise.all([probe(deps.storage.ping()), probe(deps.keyring.check())]);
  return { ok: database === 'up' && keyring === 'up', database, keyring, ...(missingKek ? { missingKek } : {}) };
}

export const health = publicProcedure
  .meta(openapi('GET', '/health', { protect: false }))
  .input(emptyInput)
  .output(z.strictObject({ ok: z.boolean(), database: status, keyring: status, missingKek: z.string().optional() }))
  .query(({ ctx }) => readiness(ctx.deps));

export const me = memberProcedure
  .meta(openapi('GET', '/me'))
  .input(emptyInput)
  .output(
    z.strictObject({
      user: z.strictObject({ id, email: z.string() }),
      org: z.strictObject({ id, name: z.string() }),
      role: z.enum(['admin', 'member']),
      /** For admins: what needs their attention (rotation reminders are only reminders). */
      summary: z.strictObject({ rotationDue: z.number().int() }).optional(),
    }),
  )
  .query(async ({ ctx }) => ({
    user: { id: ctx.actor.userId, email: ctx.actor.email },
    org: { id: ctx.actor.orgId, name: ctx.actor.orgName },
    role: ctx.actor.role,
    ...(ctx.actor.role === 'admin'
      ? { summary: { rotationDue: await countRotationDue(ctx.deps.db, ctx.actor.orgId) } }
      : {}),
  }));
