import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToolSandbox } from './sandbox';
import { listeningServer, SECRET_NAME, SECRET_VALUE } from './test-support';
import { SandboxRunRequest } from './types';

const sandbox = new ToolSandbox({ timeoutMs: 5_000, memoryMb: 128 });
const py = (sourceCode: string, extra: Partial<SandboxRunRequest> = {}) =>
  sandbox.run({ sourceType: 'python', sourceCode, functionName: 'tool', args: {}, ...extra });

beforeAll(async () => {
  process.env[SECRET_NAME] = SECRET_VALUE;
  await sandbox.warmup();
});
afterAll(() => delete process.env[SECRET_NAME]);

describe('python tools: happy paths', () => {
  it('passes args in, returns the value as text and captures stdout apart from it', async () => {
    const result = await py(
      'def tool(a: int, b: str = "x"):\n    print("working on", a)\n    return {"sum": a + 1, "b": b}\n',
      { args: { a: 41, b: 'y', request_heartbeat: true } },
    );
    expect(result).toMatchObject({
      status: 'success',
      funcReturn: '{"sum": 42, "b": "y"}',
      stdout: 'working on 41\n',
    });
    expect(result.durationMs).toBeGreaterThan(0);
  });

  it('returns strings as-is and None as "None", and awaits async tools', async () => {
    expect((await py('def tool():\n    return "plain"')).funcReturn).toBe('plain');
    expect((await py('def tool():\n    pass')).funcReturn).toBe('None');
    const result = await py(
      'import asyncio\nasync def tool(n: int):\n    await asyncio.sleep(0.01)\n    return n * 2',
      {
        args: { n: 21 },
      },
    );
    expect(result).toMatchObject({ status: 'success', funcReturn: '42' });
  });

  it('shows a declared env var and nothing else from the host', async () => {
    const result = await py('import os\ndef tool():\n    return os.environ.get("API_KEY")', {
      env: { API_KEY: 'k-1' },
    });
    expect(result.funcReturn).toBe('k-1');
  });

  it('may write files inside its own temp dir (its cwd)', async () => {
    const result = await py(
      'def tool():\n    open("note.txt", "w").write("hi")\n    return open("note.txt").read()',
    );
    expect(result).toMatchObject({ status: 'success', funcReturn: 'hi' });
  });
});

describe('python tools: hostile', () => {
  it('an infinite loop is killed at the timeout, and the next call still works', async () => {
    const result = await py('def tool():\n    while True:\n        pass', { timeoutMs: 800 });
    expect(result).toMatchObject({ status: 'error', funcReturn: 'Tool timed out after 800 ms' });
    expect(result.durationMs).toBeLessThan(3_000);
    expect(await py('def tool():\n    return "alive"')).toMatchObject({
      status: 'success',
      funcReturn: 'alive',
    });
  });

  it.each([
    ['one huge allocation', 'def tool():\n    x = bytearray(1024 * 1024 * 1024)\n    return len(x)'],
    ['a growing list', 'def tool():\n    xs = []\n    while True:\n        xs.append("x" * 1_000_000)'],
  ])('a memory bomb (%s) hits the memory limit', async (_name, source) => {
    const result = await py(source, { memoryMb: 128 });
    expect(result).toMatchObject({ status: 'error', funcReturn: 'Tool exceeded memory limit of 128 MB' });
  });

  it('a fork bomb is refused (audit hook), and the kernel would refuse it too (RLIMIT_NPROC = 0)', async () => {
    const bomb = await py('import os\ndef tool():\n    while True:\n        os.fork()');
    expect(bomb.status).toBe('error');
    expect(bomb.funcReturn).toMatch(/PermissionError: sandbox: os.fork is not allowed/);
    const spawnTry = await py('import subprocess\ndef tool():\n    return subprocess.run(["id"]).returncode');
    expect(spawnTry.funcReturn).toMatch(/PermissionError: sandbox: subprocess.Popen is not allowed/);
    const limits = await py(
      'import resource\ndef tool():\n    return resource.getrlimit(resource.RLIMIT_NPROC)',
    );
    expect(limits.funcReturn).toBe('[0, 0]');
  });

  it('cannot see a secret that is set in the host environment', async () => {
    expect(process.env[SECRET_NAME]).toBe(SECRET_VALUE);
    const result = await py(
      'import os\ndef tool():\n    print(dict(os.environ))\n    return dict(os.environ)',
      { env: { DECLARED: 'yes' } },
    );
    expect(result.status).toBe('success');
    expect(JSON.parse(result.funcReturn)).toMatchObject({ DECLARED: 'yes' });
    for (const text of [result.funcReturn, result.stdout, result.stderr])
      expect(text).not.toContain(SECRET_VALUE);
    const viaProc = await py(
      'import os\ndef tool():\n    return open(f"/proc/{os.getppid()}/environ", "rb").read().decode()',
    );
    expect(viaProc.status).toBe('error');
    expect(viaProc.funcReturn + viaProc.stdout).not.toContain(SECRET_VALUE);
  });

  it('cannot open a socket to a server listening on 127.0.0.1', async () => {
    const server = await listeningServer();
    try {
      const result = await py(
        'import socket\ndef tool(port: int):\n    s = socket.create_connection(("127.0.0.1", port), timeout=2)\n    return s.recv(10).decode()',
        { args: { port: server.port } },
      );
      expect(result.status).toBe('error');
      expect(result.funcReturn).toMatch(/PermissionError|Network is unreachable|Connection refused/);
      expect(server.connections()).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('cannot write outside its temp dir', async () => {
    const target = join(tmpdir(), `engram-escape-${process.pid}-${Date.now()}.txt`);
    const attempts = [
      `def tool():\n    open("/escape.txt", "w").write("pwned")`,
      `import os\ndef tool():\n    os.close(os.open("/usr/escape.txt", os.O_WRONLY | os.O_CREAT))`,
      `import os\ndef tool():\n    os.symlink("/escape.txt", "link")\n    open("link", "w").write("pwned")`,
      `import os\ndef tool():\n    return os.system("touch ${target}")`,
    ];
    try {
      for (const source of attempts) {
        const result = await py(source);
        expect(result.status).toBe('error');
        expect(result.funcReturn).toMatch(/PermissionError/);
        expect(existsSync(target)).toBe(false);
      }
      // The host's /tmp is not the tool's: a write there stays in the tool's private /tmp.
      const hostTmp = await py(
        `def tool():\n    open(${JSON.stringify(target)}, "w").write("x")\n    return "ok"`,
      );
      expect(hostTmp.status).toBe('success');
      expect(existsSync(target)).toBe(false);
    } finally {
      rmSync(target, { force: true });
    }
  });

  it('cuts a return value over the char limit and says how much was cut', async () => {
    const result = await py('def tool():\n    return "a" * 1000', { returnCharLimit: 100 });
    expect(result.status).toBe('success');
    expect(result.funcReturn.startsWith('a'.repeat(100) + '\n... [truncated')).toBe(true);
    expect(result.funcReturn).toContain('900 cut');
  });

  it('caps a stdout flood without blocking', async () => {
    const result = await py(
      'def tool():\n    for _ in range(20000):\n        print("y" * 100)\n    return "done"',
    );
    expect(result.status).toBe('success');
    expect(result.stdout.length).toBeLessThan(70 * 1024);
    expect(result.stdout).toMatch(/truncated/);
  });

  it('turns an exception into its type and message', async () => {
    const result = await py('def tool(x: int):\n    raise ValueError(f"bad input {x}")', { args: { x: 3 } });
    expect(result).toMatchObject({ status: 'error', funcReturn: 'ValueError: bad input 3' });
  });

  it('reports a missing function, a syntax error and a hard crash as errors', async () => {
    expect((await py('def other():\n    pass')).funcReturn).toMatch(
      /NameError: function 'tool' is not defined/,
    );
    expect((await py('def tool(:\n    pass')).funcReturn).toMatch(/SyntaxError/);
    const crash = await py('import os\ndef tool():\n    os._exit(3)');
    expect(crash).toMatchObject({ status: 'error' });
    expect(crash.funcReturn).toMatch(/exited with code 3 without returning a result/);
  });
});

describe('python tools where the OS cannot confine them', () => {
  it('are refused with a message saying why and how to opt out', async () => {
    const broken = new ToolSandbox({ pythonPath: '/nonexistent/python3' });
    expect(await broken.pythonIsolation()).toBe('unavailable');
    const result = await broken.run({
      sourceType: 'python',
      sourceCode: 'def tool():\n    return 1',
      functionName: 'tool',
      args: {},
    });
    expect(result.status).toBe('error');
    expect(result.funcReturn).toMatch(
      /Python tools are disabled on this server: they cannot be confined here \(cannot run/,
    );
    expect(result.funcReturn).toContain('ENGRAM_PYTHON_SANDBOX=unconfined');
  });

  it('run with the hook and rlimits only when unconfined runs are allowed', async () => {
    const unconfined = new ToolSandbox({ pythonIsolation: 'unconfined' });
    expect(await unconfined.pythonIsolation()).toBe('unconfined');
    expect(
      await unconfined.run({
        sourceType: 'python',
        sourceCode: 'def tool():\n    return 6 * 7',
        functionName: 'tool',
        args: {},
      }),
    ).toMatchObject({
      status: 'success',
      funcReturn: '42',
    });
    const write = await unconfined.run({
      sourceType: 'python',
      sourceCode: 'def tool():\n    open("/escape.txt", "w")',
      functionName: 'tool',
      args: {},
    });
    expect(write.funcReturn).toMatch(/PermissionError: sandbox: writing outside/);
  });
});
