import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pythonCommand } from './python-runner';
import { ToolSandbox } from './sandbox';
import { listeningServer } from './test-support';

/**
 * The kernel layers on their own, with no preamble and no audit hook: what still holds if a tool
 * gets past the in-process hook (PEP 578 hooks are not a security boundary).
 */
function rawPython(
  program: string,
  isolation: Parameters<typeof pythonCommand>[1],
): Promise<{ code: number | null; out: string }> {
  const [cmd, argv] = pythonCommand('python3', isolation, program);
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, {
      cwd: '/',
      env: { PATH: '/usr/bin:/bin' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('kernel isolation layers (no audit hook)', () => {
  let isolation: Awaited<ReturnType<ToolSandbox['pythonIsolation']>>;
  beforeAll(async () => {
    isolation = await new ToolSandbox().pythonIsolation();
  });

  it('reports which isolation this machine grants', () => {
    expect(['netns+nobody', 'userns+netns', 'audit-hook-only']).toContain(isolation);
  });

  it('the network namespace has no route to a server on the host loopback', async () => {
    if (isolation === 'audit-hook-only') return;
    const server = await listeningServer();
    try {
      const { out } = await rawPython(
        `import socket\ntry:\n    socket.create_connection(("127.0.0.1", ${server.port}), timeout=2)\n    print("CONNECTED")\nexcept OSError as e:\n    print("REFUSED", e)`,
        isolation,
      );
      expect(out).toMatch(/^REFUSED/);
      expect(server.connections()).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('RLIMIT_NPROC = 0 stops fork in the kernel', async () => {
    if (isolation === 'audit-hook-only') return;
    const { out } = await rawPython(
      'import os, resource\nresource.setrlimit(resource.RLIMIT_NPROC, (0, 0))\ntry:\n    pid = os.fork()\n    if pid == 0:\n        os._exit(0)\n    print("FORKED")\nexcept OSError as e:\n    print("REFUSED", e)',
      isolation,
    );
    expect(out).toMatch(/^REFUSED/);
  });

  it('as nobody, a root-owned directory is not writable', async () => {
    if (isolation !== 'netns+nobody') return;
    const dir = mkdtempSync(join(tmpdir(), 'engram-rootdir-'));
    try {
      const { out } = await rawPython(
        `try:\n    open(${JSON.stringify(join(dir, 'x'))}, "w").write("x")\n    print("WROTE")\nexcept OSError as e:\n    print("REFUSED", e)`,
        isolation,
      );
      expect(out).toMatch(/^REFUSED/);
      expect(existsSync(join(dir, 'x'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
