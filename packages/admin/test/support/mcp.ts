import { randomBytes } from 'node:crypto';
import { startMcpTestServer } from '@strongroom/testkit';

export interface TestMcpServer {
  url: string;
  /** The bearer token the server requires; the test stores it as a secret. */
  token: string;
  /** Tools the server offers, which Validate must list. */
  toolNames: string[];
  close(): Promise<void>;
}

/** A real MCP server (Streamable HTTP, bearer token required) on 127.0.0.1. */
export async function startMcpServer(): Promise<TestMcpServer> {
  const token = `mcp-${randomBytes(12).toString('hex')}`;
  const server = await startMcpTestServer({ token });
  return { url: server.url, token, toolNames: ['echo', 'add', 'whoami'], close: () => server.close() };
}
