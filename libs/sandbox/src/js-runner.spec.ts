import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToolSandbox } from './sandbox';
import { listeningServer, SECRET_NAME, SECRET_VALUE } from './test-support';
import { SandboxRunRequest } from './types';

const sandbox = new ToolSandbox({ timeoutMs: 5_000, memoryMb: 64 });
const tsTool = (sourceCode: string, extra: Partial<SandboxRunRequest> = {}) =>
  sandbox.run({ sourceType: 'typescript', sourceCode, functionName: 'tool', args: {}, ...extra });

beforeAll(async () => {
  process.env[SECRET_NAME] = SECRET_VALUE;
  await sandbox.warmup();
});
afterAll(() => delete process.env[SECRET_NAME]);

describe('typescript tools: happy paths', () => {
  it('passes args by parameter name, returns JSON and captures console output', async () => {
    const result = await tsTool(
      'export function tool(a: number, label: string = "n"): { sum: number; label: string } {\n' +
        '  console.log("working on", a, { label });\n  console.error("careful");\n  return { sum: a + 1, label };\n}',
      { args: { label: 'x', a: 41, request_heartbeat: true } },
    );
    expect(result).toMatchObject({
      status: 'success',
      funcReturn: '{"sum":42,"label":"x"}',
      stdout: 'working on 41 {"label":"x"}\n',
      stderr: 'careful\n',
    });
  });

  it('awaits async tools and passes a destructured object whole', async () => {
    const result = await tsTool(
      'export const tool = async ({ a, b }: { a: string; b: string }) => { await Promise.resolve(); return a + b; };',
      { args: { a: 'x', b: 'y' } },
    );
    expect(result).toMatchObject({ status: 'success', funcReturn: 'xy' });
  });

  it('runs plain JavaScript too', async () => {
    const result = await sandbox.run({
      sourceType: 'javascript',
      sourceCode: 'function tool(n) { return n * 2; }',
      functionName: 'tool',
      args: { n: 4 },
    });
    expect(result).toMatchObject({ status: 'success', funcReturn: '8' });
  });

  it('shows declared env vars through a process.env shim', async () => {
    const result = await tsTool('export function tool() { return process.env.API_KEY; }', {
      env: { API_KEY: 'k-1' },
    });
    expect(result).toMatchObject({ status: 'success', funcReturn: 'k-1' });
  });
});

describe('typescript tools: hostile', () => {
  it.each([
    ['a sync loop', 'export function tool() { while (true) {} }'],
    ['a loop after an await', 'export async function tool() { await null; while (true) {} }'],
    ['a promise that never settles', 'export function tool() { return new Promise(() => {}); }'],
  ])('%s is stopped at the timeout, and the next call still works', async (_name, source) => {
    const result = await tsTool(source, { timeoutMs: 500 });
    expect(result).toMatchObject({ status: 'error', funcReturn: 'Tool timed out after 500 ms' });
    expect(result.durationMs).toBeLessThan(3_000);
    expect(await tsTool('export function tool() { return "alive"; }')).toMatchObject({ funcReturn: 'alive' });
  });

  it('a memory bomb hits the isolate memory limit and the host lives on', async () => {
    const result = await tsTool(
      'export function tool() { const a: number[][] = []; while (true) a.push(new Array(1e6).fill(1)); }',
      { memoryMb: 32 },
    );
    expect(result).toMatchObject({ status: 'error', funcReturn: 'Tool exceeded memory limit of 32 MB' });
    expect(await tsTool('export function tool() { return 1; }')).toMatchObject({ funcReturn: '1' });
    const buffers = await tsTool(
      'export function tool() { return new ArrayBuffer(512 * 1024 * 1024).byteLength; }',
      {
        memoryMb: 32,
      },
    );
    expect(buffers).toMatchObject({ status: 'error', funcReturn: 'Tool exceeded memory limit of 32 MB' });
  });

  it('cannot see a secret set in the host environment, nor reach node APIs', async () => {
    expect(process.env[SECRET_NAME]).toBe(SECRET_VALUE);
    const result = await tsTool(
      'export function tool() { console.log(JSON.stringify(process.env)); return { env: process.env, keys: Object.keys(globalThis) }; }',
      { env: { DECLARED: 'yes' } },
    );
    expect(result.status).toBe('success');
    expect(JSON.parse(result.funcReturn).env).toEqual({ DECLARED: 'yes' });
    for (const text of [result.funcReturn, result.stdout, result.stderr])
      expect(text).not.toContain(SECRET_VALUE);
    const fork = await tsTool(
      'import { fork } from "child_process";\nexport function tool() { return fork("x"); }',
    );
    expect(fork.funcReturn).toMatch(/require\("child_process"\) is not available/);
  });

  it('cannot open a socket to a server listening on 127.0.0.1', async () => {
    const server = await listeningServer();
    try {
      for (const source of [
        'export async function tool(port: number) { return await (await fetch(`http://127.0.0.1:${port}`)).text(); }',
        'import net from "net";\nexport function tool(port: number) { return net.connect(port, "127.0.0.1"); }',
      ]) {
        const result = await tsTool(source, { args: { port: server.port } });
        expect(result.status).toBe('error');
        expect(result.funcReturn).toMatch(/fetch is not defined|not available in the sandbox/);
      }
      expect(server.connections()).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('cannot write files anywhere', async () => {
    const target = join(tmpdir(), `engram-escape-js-${process.pid}.txt`);
    const result = await tsTool(
      `import { writeFileSync } from "fs";\nexport function tool() { writeFileSync(${JSON.stringify(target)}, "pwned"); }`,
    );
    expect(result.status).toBe('error');
    expect(existsSync(target)).toBe(false);
  });

  it('cuts a return value over the char limit and says how much was cut', async () => {
    const result = await tsTool('export function tool() { return "a".repeat(1000); }', {
      returnCharLimit: 100,
    });
    expect(result.funcReturn.startsWith('a'.repeat(100) + '\n... [truncated')).toBe(true);
    expect(result.funcReturn).toContain('900 cut');
  });

  it('turns a throw into its type and message, Error or not', async () => {
    expect(await tsTool('export function tool() { throw new TypeError("bad input"); }')).toMatchObject({
      status: 'error',
      funcReturn: 'TypeError: bad input',
    });
    expect((await tsTool('export function tool() { throw "just a string"; }')).funcReturn).toBe(
      'Error: just a string',
    );
    expect((await tsTool('export function other() {}')).funcReturn).toMatch(/function tool is not defined/);
    expect((await tsTool('export function tool( {')).status).toBe('error');
  });
});
