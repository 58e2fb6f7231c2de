import { z } from 'zod';
import { displayName, id, text, timestamp } from '../core/schemas';

/** A model id as the provider names it (`gpt-5.2`, `@cf/meta/llama-3.1-8b-instruct`, …). */
export const modelId = text({ min: 1, max: 200 }).regex(/^[A-Za-z0-9@][A-Za-z0-9@._:/+-]*$/, {
  error: 'may contain letters, digits and @ . _ : / + -',
});

export const instructions = text({ max: 20_000, trim: false }).regex(/^(?:[^\p{Cc}]|[\n\t\r])*$/u, {
  error: 'must not contain control characters other than newlines and tabs',
});

const mcpServerIds = z.array(id).max(50);

export const createAgentInput = z.strictObject({
  name: displayName(100),
  providerId: id,
  modelId,
  instructions: instructions.default(''),
  mcpServerIds: mcpServerIds.default([]),
});

export const updateAgentInput = z.strictObject({
  id,
  name: displayName(100).optional(),
  providerId: id.optional(),
  modelId: modelId.optional(),
  instructions: instructions.optional(),
  mcpServerIds: mcpServerIds.optional(),
});

export const agent = z.strictObject({
  id,
  orgId: id,
  name: z.string(),
  providerId: id,
  provider: z.strictObject({ id, name: z.string(), kind: z.string() }),
  modelId: z.string(),
  /** What the runtime calls through the gateway: `${provider.kind}/${modelId}`. */
  model: z.string(),
  instructions: z.string(),
  mcpServerIds: z.array(id),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export type Agent = z.infer<typeof agent>;
