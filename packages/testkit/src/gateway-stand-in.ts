import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Cloudflare AI Gateway's universal endpoint
 * (`POST /v1/{accountId}/{gateway}`), on 127.0.0.1. It records every request as received —
 * headers and body — so tests can prove where each credential travelled, checks the gateway token
 * like a gateway with authentication on, and answers as OpenAI chat completions (JSON or SSE)
 * from a script the test sets.
 */

/** One provider request inside the gateway body. */
export interface GatewayEntry {
  endpoint: string;
  provider: string;
  headers: Record<string, string>;
  query: {
    model: string;
    messages: { role: string; content: unknown; tool_calls?: unknown }[];
    stream?: boolean;
    tools?: unknown[];
  };
}

export interface RecordedRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  entries: GatewayEntry[];
}

/** What the model "says" next: text, or calls to tools. */
export type Reply = { text: string } | { toolCalls: { name: string; args: Record<string, unknown> }[] };

export interface GatewayStandIn {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Decides each reply from the request (default: echo the last user message). */
  script(next: (request: RecordedRequest) => Reply): void;
  close(): Promise<void>;
}

function completion(reply: Reply, model: string) {
  const message =
    'text' in reply
      ? { role: 'assistant', content: reply.text }
      : {
          role: 'assistant',
          content: null,
          tool_calls: reply.toolCalls.map((c, i) => ({
            id: `call_${i}_${c.name}`,
            type: 'function',
            function: { name: c.name, arguments: JSON.stringify(c.args) },
          })),
        };
  return {
    id: 'chatcmpl-standin',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, finish_reason: 'text' in reply ? 'stop' : 'tool_calls' }],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  };
}

/** The same reply as an SSE stream of chat.completion.chunk events. */
function streamChunks(reply: Reply, model: string): string[] {
  const chunk = (delta: unknown, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-standin', object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  if ('text' in reply) {
    const words = reply.text.match(/\S+\s*/g) ?? [''];
    return [
      chunk({ role: 'assistant', content: '' }),
      ...words.map((w) => chunk({ content: w })),
      chunk({}, 'stop'),
      'data: [DONE]\n\n',
    ];
  }
  const calls = reply.toolCalls.map((c, i) => ({
    index: i,
    id: `call_${i}_${c.name}`,
    type: 'function',
    function: { name: c.name, arguments: JSON.stringify(c.args) },
  }));
  return [chunk({ role: 'assistant', tool_calls: calls }), chunk({}, 'tool_calls'), 'data: [DONE]\n\n'];
}

export async function startGatewayStandIn(options: { gatewayToken: string }): Promise<GatewayStandIn> {
  const requests: RecordedRequest[] = [];
  let next: (request: RecordedRequest) => Reply = (request) => {
    const user = [...(request.entries[0]?.query.messages ?? [])].reverse().find((m) => m.role === 'user');
    return { text: `echo: ${typeof user?.content === 'string' ? user.content : JSON.stringify(user?.content)}` };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let entries: GatewayEntry[] = [];
    try {
      entries = JSON.parse(rawBody) as GatewayEntry[];
    } catch {
      // recorded as is; answered below
    }
    const recorded: RecordedRequest = { path: req.url ?? '', headers: { ...req.headers }, rawBody, entries };
    requests.push(recorded);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || !/^\/v1\/[^/]+\/[^/]+$/.test(recorded.path)) {
      return send(400, { success: false, error: [{ code: 2001, message: 'Gateway does not exist' }] });
    }
    if (req.headers['cf-aig-authorization'] !== `Bearer ${options.gatewayToken}`) {
      return send(401, { success: false, error: [{ code: 2009, message: 'Unauthorized' }] });
    }
    const entry = entries[0];
    if (!entry || !Array.isArray(entries))
      return send(400, { success: false, error: [{ code: 2008, message: 'Invalid request' }] });
    const reply = next(recorded);
    const model = entry.query.model;
    if (entry.query.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cf-aig-step': '0' });
      for (const piece of streamChunks(reply, model)) res.write(piece);
      return res.end();
    }
    return send(200, completion(reply, model), { 'cf-aig-step': '0' });
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script(fn) {
      next = fn;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
