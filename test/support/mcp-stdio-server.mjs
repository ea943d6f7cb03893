// A tiny MCP server over stdio for the e2e tests, run as `node test/support/mcp-stdio-server.mjs`.
// Tools: add(a, b); env() returns the process environment as JSON; crash() exits the process.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const server = new McpServer({ name: 'engram-stdio-test', version: '1.0.0' });
const text = (t) => ({ content: [{ type: 'text', text: t }] });

server.registerTool(
  'add',
  { description: 'Add two numbers', inputSchema: { a: z.number(), b: z.number() } },
  ({ a, b }) => text(String(a + b)),
);
server.registerTool('env', { description: 'The environment of this process' }, () =>
  text(JSON.stringify(process.env)),
);
server.registerTool('pid', { description: 'The process id' }, () => text(String(process.pid)));
server.registerTool('crash', { description: 'Exit the process' }, () => {
  setTimeout(() => process.exit(3), 10);
  return text('exiting');
});

await server.connect(new StdioServerTransport());
