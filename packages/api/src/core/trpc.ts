import { initTRPC, TRPCError } from '@trpc/server';
import type { OpenApiMeta, OpenApiMethod } from 'trpc-to-openapi';
import { ZodError } from 'zod';
import type { Actor, UserActor, WorkerActor } from './actor';
import type { Context } from './context';
import { toTRPCError } from './error-mapping';
import { AppError } from './errors';

const GENERIC_INTERNAL = 'Internal server error';

function fieldErrorsOf(error: ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.join('.') || '(input)';
    (out[key] ??= []).push(issue.message);
  }
  return out;
}

const t = initTRPC
  .context<Context>()
  .meta<OpenApiMeta>()
  .create({
    isDev: false,
    errorFormatter({ shape, error, ctx }) {
      const cause = error.cause;
      const zod = cause instanceof ZodError ? cause : undefined;
      const app = cause instanceof AppError ? cause : undefined;
      const fieldErrors = zod ? fieldErrorsOf(zod) : undefined;
      const field = app?.field ?? (zod ? Object.keys(fieldErrors ?? {})[0] : undefined);
      let message = error.message;
      if (zod)
        message = `Invalid input: ${Object.entries(fieldErrors ?? {})
          .map(([k, v]) => `${k}: ${v.join(', ')}`)
          .join('; ')}`;
      else if (error.code === 'INTERNAL_SERVER_ERROR' && !app) message = GENERIC_INTERNAL;
      return {
        message,
        code: shape.code,
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          requestId: ctx?.requestId,
          reason: app?.reason,
          field,
          fieldErrors,
          details: app?.details,
        },
      };
    },
  });

/**
 * Lists a procedure in the OpenAPI document at `/openapi.json`. The path is the procedure's own
 * tRPC path, because the document describes the tRPC wire itself (see `openapi/document.ts`);
 * a test checks that the two agree. The tag is the router the procedure belongs to.
 * @example adminProcedure.meta(openapi('GET', '/secrets.list'))
 */
export function openapi(method: OpenApiMethod, path: `/${string}`, options: { protect?: boolean } = {}): OpenApiMeta {
  const tag = path.slice(1).split('.')[0]!;
  return { openapi: { method, path, tags: [tag], protect: options.protect ?? true } };
}

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Every procedure starts here: service errors become their tRPC codes with safe messages. */
const baseProcedure = t.procedure.use(async ({ next }) => {
  const result = await next();
  return result.ok ? result : { ...result, error: toTRPCError(result.error) };
});

export const publicProcedure = baseProcedure;

/**
 * A procedure for callers the check accepts: one middleware per procedure, not one per rule, since
 * each middleware level costs every call on the hot path (tRPC copies the context at each).
 */
function authed<A extends Actor>(check: (actor: Actor) => A) {
  return baseProcedure.use(async ({ ctx, type, next }) => {
    const found = await ctx.actor();
    if (!found) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'A valid bearer token is required' });
    const actor = check(found);
    const result = await next({ ctx: { actor } });
    // A change may change who may resolve what: this instance forgets the org's cached decisions as
    // soon as it has committed (the others when its NOTIFY reaches them).
    if (type === 'mutation') ctx.deps.decisions.forgetOrg(actor.orgId);
    return result;
  });
}

function requireUser(actor: Actor): UserActor {
  if (actor.kind !== 'user') {
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: 'This needs a user token; worker tokens may call only internal.*',
    });
  }
  return actor;
}

/** A user token of any role in its org. */
export const memberProcedure = authed(requireUser);

/** A user token whose user is an admin of the token's org. */
export const adminProcedure = authed((actor) => {
  const user = requireUser(actor);
  if (user.role !== 'admin') throw new TRPCError({ code: 'FORBIDDEN', message: 'This needs the org admin role' });
  return user;
});

/** A worker token; the input must name the org the token is bound to. */
export const workerProcedure = authed((actor): WorkerActor => {
  if (actor.kind !== 'worker') throw new TRPCError({ code: 'FORBIDDEN', message: 'This needs a worker token' });
  return actor;
});
