/**
 * A small MCP server over Streamable HTTP on 127.0.0.1, for tests: the official SDK's
 * `McpServer` + `StreamableHTTPServerTransport`, one session per client.
 *
 *   const mcp = await TestMcpHttpServer.start();
 *   // mcp.url → http://127.0.0.1:PORT/mcp; tools: add, echo, fail, sleep, whoami, extra (off)
 *   mcp.setEnabled('extra', true); mcp.describe('echo', 'new text');
 *   await mcp.close();
 */
import { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { z } from 'zod';

interface Session {
  server: McpServer;
  transport: StreamableHTTPServerTransport;
  tools: Map<string, RegisteredTool>;
}

export class TestMcpHttpServer {
  /** Headers of every HTTP request received, in order. */
  readonly requests: Array<{ method: string; headers: IncomingHttpHeaders }> = [];
  /** Number of tools/call requests handled, by tool name. */
  readonly calls = new Map<string, number>();
  private readonly sessions = new Map<string, Session>();
  private readonly enabled = new Map<string, boolean>([['extra', false]]);
  private readonly descriptions = new Map<string, string>();
  private http!: Server;

  static async start(): Promise<TestMcpHttpServer> {
    const s = new TestMcpHttpServer();
    s.http = createServer((req, res) => void s.handle(req, res));
    await new Promise<void>((resolve) => s.http.listen(0, '127.0.0.1', resolve));
    return s;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}/mcp`;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Shows or hides a tool in tools/list for every session (new and open). */
  setEnabled(name: string, on: boolean): void {
    this.enabled.set(name, on);
    for (const s of this.sessions.values()) {
      const tool = s.tools.get(name);
      if (on) tool?.enable();
      else tool?.disable();
    }
  }

  /** Changes a tool's description for every session. */
  describe(name: string, description: string): void {
    this.descriptions.set(name, description);
    for (const s of this.sessions.values()) s.tools.get(name)?.update({ description });
  }

  /** Forgets every session, as a restarted server would (clients then get 404 for their session). */
  async dropSessions(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.server.close().catch(() => undefined)));
  }

  async close(): Promise<void> {
    await this.dropSessions();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests.push({ method: req.method ?? '', headers: req.headers });
    try {
      const sessionId = req.headers['mcp-session-id'] as string | undefined;
      if (sessionId) {
        const session = this.sessions.get(sessionId);
        if (!session) return this.reply(res, 404, 'Session not found');
        return await session.transport.handleRequest(req, res);
      }
      if (req.method !== 'POST') return this.reply(res, 405, 'Method not allowed');
      const body = await readJson(req);
      if (!isInitializeRequest(body)) return this.reply(res, 400, 'No session');
      const session = this.newSession();
      await session.server.connect(session.transport);
      await session.transport.handleRequest(req, res, body);
    } catch (e) {
      if (!res.headersSent) this.reply(res, 500, (e as Error).message);
    }
  }

  private newSession(): Session {
    const server = new McpServer({ name: 'engram-test', version: '1.0.0' });
    const tools = new Map<string, RegisteredTool>();
    const count = (name: string) => this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
    const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });
    const desc = (name: string, fallback: string) => this.descriptions.get(name) ?? fallback;
    tools.set(
      'add',
      server.registerTool(
        'add',
        { description: desc('add', 'Add two numbers'), inputSchema: { a: z.number(), b: z.number() } },
        ({ a, b }) => {
          count('add');
          return text(String(a + b));
        },
      ),
    );
    tools.set(
      'echo',
      server.registerTool(
        'echo',
        { description: desc('echo', 'Echo the text back'), inputSchema: { text: z.string() } },
        ({ text: t }) => {
          count('echo');
          return text(t);
        },
      ),
    );
    tools.set(
      'fail',
      server.registerTool('fail', { description: 'Always throws' }, () => {
        count('fail');
        throw new Error('the tool broke on purpose');
      }),
    );
    tools.set(
      'sleep',
      server.registerTool(
        'sleep',
        { description: 'Sleep for ms milliseconds', inputSchema: { ms: z.number() } },
        async ({ ms }) => {
          count('sleep');
          await new Promise((r) => setTimeout(r, ms));
          return text(`slept ${ms}`);
        },
      ),
    );
    tools.set(
      'whoami',
      server.registerTool('whoami', { description: 'Report the request headers' }, (extra) => {
        count('whoami');
        const headers = extra.requestInfo?.headers ?? {};
        return text(
          JSON.stringify({
            authorization: headers.authorization ?? null,
            x_custom: headers['x-custom'] ?? null,
          }),
        );
      }),
    );
    tools.set(
      'extra',
      server.registerTool(
        'extra',
        { description: 'Appears when enabled', inputSchema: { n: z.number().optional() } },
        () => {
          count('extra');
          return {
            content: [
              { type: 'image' as const, data: 'aGVsbG8=', mimeType: 'image/png' },
              { type: 'text' as const, text: 'done' },
            ],
          };
        },
      ),
    );
    for (const [name, tool] of tools) if (this.enabled.get(name) === false) tool.disable();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        this.sessions.set(id, session);
      },
    });
    const session: Session = { server, transport, tools };
    return session;
  }

  private reply(res: ServerResponse, status: number, message: string): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}
