import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/**
 * Real MCP servers for tests, on 127.0.0.1 (or ::1), from `@modelcontextprotocol/sdk` (Streamable HTTP,
 * stateless, JSON responses). The MCP server requires `Authorization: Bearer <token>` and offers
 * `echo`, `add`, and `whoami` — which returns the Authorization header it received, as a careless
 * tool might, so tests can prove the runtime keeps it out of model context.
 */
export interface TestServer {
  readonly url: string;
  /** Requests received (any path). */
  readonly hits: number;
  /** Headers of every request received, in order. */
  readonly headers: Record<string, string | string[] | undefined>[];
  close(): Promise<void>;
}

/** The loopback address a test server listens on: IPv4 by default, or IPv6 `::1`. */
export type LoopbackHost = '127.0.0.1' | '::1';

async function listen(
  server: Server,
  sockets: Set<Socket>,
  counter: { hits: number },
  path = '',
  host: LoopbackHost = '127.0.0.1',
): Promise<TestServer> {
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const headers: TestServer['headers'] = [];
  server.on('request', (req: IncomingMessage) => {
    counter.hits++;
    headers.push({ ...req.headers });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`,
    get hits() {
      return counter.hits;
    },
    headers,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A tool call as the MCP server received it. */
export interface ReceivedToolCall {
  name: string;
  args: Record<string, unknown>;
}

/** A test MCP server; `toolCalls` are the calls it received, with their arguments, in order. */
export interface McpTestServer extends TestServer {
  readonly toolCalls: ReceivedToolCall[];
}

/** The test tools every test MCP server offers; calls are recorded in `toolCalls`. */
export function buildMcp(toolCalls: ReceivedToolCall[] = []): McpServer {
  const mcp = new McpServer({ name: 'strongroom-test-tools', version: '1.0.0' });
  mcp.registerTool(
    'echo',
    { description: 'Echoes the text back', inputSchema: { text: z.string() } },
    async ({ text }) => {
      toolCalls.push({ name: 'echo', args: { text } });
      return { content: [{ type: 'text', text }] };
    },
  );
  mcp.registerTool(
    'add',
    { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => {
      toolCalls.push({ name: 'add', args: { a, b } });
      return { content: [{ type: 'text', text: String(a + b) }] };
    },
  );
  mcp.registerTool('whoami', { description: 'Reports the credentials this server was called with' }, async (extra) => ({
    content: [{ type: 'text', text: `called with: ${String(extra.requestInfo?.headers.authorization ?? 'nothing')}` }],
  }));
  return mcp;
}

/** An MCP server at `/mcp` that answers 401 without the right bearer token. */
export async function startMcpTestServer(options: { token: string; host?: LoopbackHost }): Promise<McpTestServer> {
  const sockets = new Set<Socket>();
  const counter = { hits: 0 };
  const toolCalls: ReceivedToolCall[] = [];
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token"' });
      return res.end(JSON.stringify({ error: 'invalid_token' }));
    }
    const mcp = buildMcp(toolCalls);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  };
  // A request that fails closes its socket rather than becoming an unhandled rejection.
  const server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  return Object.assign(await listen(server, sockets, counter, '/mcp', options.host), { toolCalls });
}

/** A web server that is not an MCP server: any request gets an HTML page. */
export async function startPlainHttpServer(options: { host?: LoopbackHost } = {}): Promise<TestServer> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>Welcome</title><h1>It works!</h1>');
  });
  return listen(server, new Set(), { hits: 0 }, '', options.host);
}

/** A server that accepts connections and requests and never answers. */
export async function startSilentServer(): Promise<TestServer> {
  const server = createServer(() => {});
  return listen(server, new Set(), { hits: 0 });
}

/**
 * Whether this machine can listen on the IPv6 loopback `::1` (containers often cannot).
 * @example it.runIf(await hasIpv6Loopback())('works over IPv6', ...)
 */
export async function hasIpv6Loopback(): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => server.close(() => resolve(true)));
  });
}
