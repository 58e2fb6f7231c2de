import { AiGatewayDoesNotExist, AiGatewayUnauthorizedError } from 'ai-gateway-provider';
import { APICallError, generateText, type ModelMessage, stepCountIs, streamText } from 'ai';
import { AgentsRuntimeError } from './errors';
import { openMcpTools } from './mcp-tools';
import { createModel, type ModelRequest, type ProviderType } from './model';
import type { ResolvedRun } from './resolver';
import { createScrubber, type Scrubber } from './scrub';

export interface RunInput {
  orgId: string;
  agentId: string;
  chatId?: string;
  messages: ModelMessage[];
}

export interface RunSettings {
  maxSteps: number;
  /** The address guard's fetch, for MCP servers. */
  mcpFetch: typeof globalThis.fetch;
  model: ModelRequest<ProviderType>['settings'];
}

interface Step {
  text: string;
  finishReason: string;
  toolCalls: { toolName: string; input: unknown }[];
  toolResults: { toolName: string; output: unknown }[];
}

/** The model, the agent's MCP tools and a scrubber that knows every value resolved for the run. */
async function prepare(run: ResolvedRun, settings: RunSettings) {
  const { config } = run;
  const scrub = createScrubber([run.providerKey, ...Object.values(run.infra), ...run.mcpTokens.values()]);
  const model = createModel({ config, credentials: run, settings: settings.model }, scrub);
  const mcp = await openMcpTools(
    config.mcpServers.map((s) => ({ id: s.id, name: s.name, url: s.url, token: run.mcpTokens.get(s.id) ?? null })),
    scrub,
    settings.mcpFetch,
  );
  return { scrub, model, mcp };
}

function modelInput(run: ResolvedRun, scrub: Scrubber, messages: ModelMessage[], maxSteps: number) {
  return {
    ...(run.config.agent.instructions ? { instructions: run.config.agent.instructions } : {}),
    messages: scrub.deep(messages),
    stopWhen: stepCountIs(maxSteps),
  };
}

function summarize(scrub: Scrubber, steps: Step[]) {
  return steps.map((step) =>
    scrub.deep({
      text: step.text,
      finishReason: step.finishReason,
      toolCalls: step.toolCalls.map((c) => ({ toolName: c.toolName, input: c.input })),
      toolResults: step.toolResults.map((r) => ({ toolName: r.toolName, output: r.output })),
    }),
  );
}

export type RunResult = { text: string; steps: ReturnType<typeof summarize> };

/** One agent turn: the model's final text and each step's tool calls and results, scrubbed. */
export async function runTurn(run: ResolvedRun, messages: ModelMessage[], settings: RunSettings): Promise<RunResult> {
  const { scrub, model, mcp } = await prepare(run, settings);
  try {
    const result = await generateText({
      model,
      tools: mcp.tools,
      ...modelInput(run, scrub, messages, settings.maxSteps),
    });
    return { text: scrub.text(result.text), steps: summarize(scrub, result.steps) };
  } catch (err) {
    throw toRuntimeError(err, scrub);
  } finally {
    await mcp.close();
  }
}

/**
 * The same turn, streamed: text deltas as the model produces them (each held back just long
 * enough that a credential split across two deltas is still caught), then the final result.
 */
export async function* streamTurn(
  run: ResolvedRun,
  messages: ModelMessage[],
  settings: RunSettings,
): AsyncGenerator<string, RunResult> {
  const { scrub, model, mcp } = await prepare(run, settings);
  try {
    const result = streamText({ model, tools: mcp.tools, ...modelInput(run, scrub, messages, settings.maxSteps) });
    let pending = '';
    for await (const delta of result.textStream) {
      pending = scrub.text(pending + delta);
      const safe = pending.length - scrub.maxLength;
      if (safe > 0) {
        yield pending.slice(0, safe);
        pending = pending.slice(safe);
      }
    }
    if (pending) yield pending;
    return { text: scrub.text(await result.text), steps: summarize(scrub, await result.steps) };
  } catch (err) {
    throw toRuntimeError(err, scrub);
  } finally {
    await mcp.close();
  }
}

/** Maps what the AI SDK and the gateway throw to typed errors, message and cause scrubbed. */
function toRuntimeError(err: unknown, scrub: Scrubber): AgentsRuntimeError {
  const typed = (code: AgentsRuntimeError['code'], message: string, details?: Record<string, string>, cause = err) =>
    new AgentsRuntimeError(code, scrub.text(message), details, { cause, scrub: scrub.text });
  if (err instanceof AgentsRuntimeError) return typed(err.code, err.message, err.details, err.cause);
  if (err instanceof AiGatewayUnauthorizedError)
    return typed('GATEWAY_UNAUTHORIZED', 'The AI Gateway refused the gateway token');
  if (err instanceof AiGatewayDoesNotExist)
    return typed('GATEWAY_NOT_FOUND', 'The AI Gateway named by the provider does not exist');
  const cause = err instanceof Error && err.cause instanceof AgentsRuntimeError ? err.cause : undefined;
  if (cause) return toRuntimeError(cause, scrub);
  if (APICallError.isInstance(err))
    return typed('GATEWAY_ERROR', `The model call failed with status ${err.statusCode ?? 'unknown'}: ${err.message}`);
  return typed('GATEWAY_ERROR', `The model call failed: ${err instanceof Error ? err.message : String(err)}`);
}
