import { z } from 'zod';
import { displayName, id, text, timestamp } from '../core/schemas';

/** An http(s) URL; where it may point is checked by the address guard. */
export const mcpUrl = text({ max: 2048 }).pipe(z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }));

export const createMcpServerInput = z.strictObject({ name: displayName(100), url: mcpUrl, secretRef: id.optional() });

export const updateMcpServerInput = z.strictObject({
  id,
  name: displayName(100).optional(),
  url: mcpUrl.optional(),
  /** null detaches the credential. */
  secretRef: id.nullable().optional(),
});

/** Either a stored server (`id`) or a candidate (`url` and an optional `secretRef`). */
export const validateInput = z
  .strictObject({ id: id.optional(), url: mcpUrl.optional(), secretRef: id.optional() })
  .refine((v) => (v.id === undefined) !== (v.url === undefined), {
    error: 'give either id, or url (with an optional secretRef)',
    path: ['id'],
  })
  .refine((v) => v.id === undefined || v.secretRef === undefined, {
    error: 'secretRef goes with url; a stored server uses its own',
    path: ['secretRef'],
  });

const tool = z.strictObject({ name: z.string(), description: z.string() });

export const mcpServer = z.strictObject({
  id,
  orgId: id,
  name: z.string(),
  url: z.string(),
  secretRef: id.nullable(),
  /** Still holding a raw token from the legacy platform (never shown): run the backfill. */
  hasLegacyToken: z.boolean(),
  tools: z.array(tool).nullable(),
  lastValidatedAt: timestamp.nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const validateOutput = z.union([
  z.strictObject({ ok: z.literal(true), tools: z.array(tool) }),
  z.strictObject({
    ok: z.literal(false),
    error: z.strictObject({
      code: z.enum(['UNAUTHORIZED', 'UNREACHABLE', 'TIMEOUT', 'NOT_MCP', 'BLOCKED_ADDRESS']),
      message: z.string(),
    }),
  }),
]);

export type McpServer = z.infer<typeof mcpServer>;
