import { createMCPClient } from '@ai-sdk/mcp';
import { AddressGuardError } from '@strongroom/address-guard';
import type { ToolSet } from 'ai';
import { AgentsRuntimeError } from './errors';
import type { Scrubber } from './scrub';

export interface McpEndpoint {
  id: string;
  name: string;
  url: string;
  /** The bearer token, resolved for this run; null for a server without auth. */
  token: string | null;
}

/**
 * Connects to each MCP server with its token and returns their tools, each wrapped so that both
 * the arguments the model wrote for a call and what the tool returns — which goes straight back
 * into model context — are scrubbed of every value resolved for the run (a model coaxed into
 * passing a key to a tool, or a tool that echoes its own Authorization header, leaks nothing). `fetch` is
 * the address guard's: it refuses blocked destinations and connects only to checked addresses.
 */
export async function openMcpTools(endpoints: McpEndpoint[], scrub: Scrubber, fetch: typeof globalThis.fetch) {
  const clients: { close(): Promise<void> }[] = [];
  const close = async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
  };
  const tools: ToolSet = {};
  try {
    for (const endpoint of endpoints) {
      const client = await createMCPClient({
        transport: {
          type: 'http',
          url: endpoint.url,
          ...(endpoint.token ? { headers: { Authorization: `Bearer ${endpoint.token}` } } : {}),
          fetch,
        },
      }).catch((err: unknown) => {
        const guard = [err, (err as Error)?.cause].find((e) => e instanceof AddressGuardError);
        const why =
          guard?.code === 'UNRESOLVED' || !guard
            ? String((guard ?? (err as Error))?.message ?? err)
            : `refused by the address guard: ${guard.message}`;
        throw new AgentsRuntimeError('MCP_SERVER_FAILED', `MCP server "${endpoint.name}" failed: ${scrub.text(why)}`, {
          mcpServerId: endpoint.id,
        });
      });
      clients.push(client);
      const offered = await client.tools();
      for (const [name, tool] of Object.entries(offered)) {
        // Two servers may offer the same tool name; the later one is prefixed with its server.
        const key = name in tools ? `${endpoint.name}_${name}` : name;
        const execute = tool.execute as ((input: unknown, options: unknown) => Promise<unknown>) | undefined;
        tools[key] = execute
          ? {
              ...tool,
              execute: async (input: unknown, options: unknown) =>
                scrub.deep(await execute(scrub.deep(input), options)),
            }
          : tool;
      }
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { tools, close };
}
