import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { confinedCommand, MountPlan, planMounts } from './python-confinement';
import { ToolSandbox } from './sandbox';
import { listeningServer } from './test-support';

/**
 * The OS confinement of Python tools, attacked two ways: a raw program under the confinement
 * with no preamble and no audit hook at all, and a tool run through the sandbox that first
 * switches the preamble's hooks off. Either way the server's checkout, a secret in the host's
 * /tmp, /etc and every other host path stay out of reach, and nothing outside the tool's /tmp
 * can be written. As root (CI) confinement must be available; elsewhere these tests are skipped.
 */
const root = process.getuid?.() === 0;
const checkout = process.cwd();
const SECRET = 'host-secret-4b1d';

interface Attempt {
  ok: boolean;
  detail: string;
}

/** Python that tries each named action and prints {name: {ok, detail}} as JSON. */
function attempts(actions: Record<string, string>): string {
  const lines = Object.entries(actions).map(
    ([name, expr]) =>
      `try:\n    _out[${JSON.stringify(name)}] = {"ok": True, "detail": repr(${expr})[:300]}\n` +
      `except BaseException as e:\n    _out[${JSON.stringify(name)}] = {"ok": False, "detail": type(e).__name__ + ": " + str(e)[:300]}`,
  );
  return ['import ctypes, json, os, socket', '_out = {}', ...lines].join('\n');
}

(root ? describe : describe.skip)('Python confinement', () => {
  let sandbox: ToolSandbox;
  let plan: MountPlan;
  let secretDir: string;
  let secretFile: string;

  beforeAll(async () => {
    sandbox = new ToolSandbox({ timeoutMs: 10_000 });
    plan = await planMounts('python3');
    secretDir = mkdtempSync(join(tmpdir(), 'engram-host-secret-'));
    secretFile = join(secretDir, '.env');
    writeFileSync(secretFile, `SECRET=${SECRET}\n`, { mode: 0o644 });
  });
  afterAll(() => rmSync(secretDir, { recursive: true, force: true }));

  const reads = () => ({
    checkout_package_json: `open(${JSON.stringify(join(checkout, 'package.json'))}).read()`,
    checkout_env_file: `open(${JSON.stringify(join(checkout, '.env.example'))}).read()`,
    checkout_listing: `os.listdir(${JSON.stringify(checkout)})`,
    host_tmp_secret: `open(${JSON.stringify(secretFile)}).read()`,
    etc_passwd: 'open("/etc/passwd").read()',
    etc_hostname: 'open("/etc/hostname").read()',
    proc: 'os.listdir("/proc")',
  });
  const writes = () => ({
    write_root: 'open("/escape.txt", "w").write("x")',
    write_interpreter_dir: `open(${JSON.stringify(plan.python + '.escape')}, "w").write("x")`,
    write_dev: 'open("/dev/escape", "w").write("x")',
    mkdir_root: 'os.mkdir("/newdir")',
  });

  it('is what the sandbox uses here', async () => {
    expect(await sandbox.pythonIsolation()).toBe('namespaces+nobody');
  });

  it('holds with no preamble and no hook: no host files, no writes outside /tmp, no network, no privileges', async () => {
    const server = await listeningServer();
    const marker = join(tmpdir(), `engram-escape-${process.pid}-${Date.now()}`);
    const mountpoint = mkdtempSync(join(tmpdir(), 'engram-raw-'));
    try {
      const program =
        attempts({
          ...reads(),
          ...writes(),
          write_tmp: 'open("/tmp/ok.txt", "w").write("fine")',
          // The host's /tmp path names the tool's own private /tmp: allowed, and invisible outside.
          write_host_tmp: `open(${JSON.stringify(marker)}, "w").write("x")`,
          connect_host: `socket.create_connection(("127.0.0.1", ${server.port}), timeout=2)`,
          uid: 'os.getuid()',
          root_listing: 'sorted(os.listdir("/"))',
          setuid_root: 'os.setuid(0)',
          chroot: 'os.chroot("/tmp")',
          mount_tmpfs:
            'ctypes.CDLL(None, use_errno=True).mount(b"x", b"/tmp", b"tmpfs", 0, None) or ctypes.get_errno()',
          signal_server: `os.kill(${process.pid}, 0)`,
        }) + '\nprint(json.dumps(_out))';
      const [cmd, argv] = confinedCommand('root', plan, mountpoint, 1024 * 1024, program);
      const r = await run(cmd, argv);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.out.trim().split('\n').pop()!) as Record<string, Attempt>;
      for (const name of [...Object.keys(reads()), ...Object.keys(writes())]) {
        expect({ name, ...out[name] }).toMatchObject({ name, ok: false });
      }
      expect(out.write_tmp.ok).toBe(true);
      expect(out.connect_host.ok).toBe(false);
      expect(server.connections()).toBe(0);
      expect(out.uid).toEqual({ ok: true, detail: '65534' });
      expect(JSON.parse(out.root_listing.detail.replace(/'/g, '"'))).not.toEqual(
        expect.arrayContaining(['etc', 'home', 'work', 'proc']),
      );
      expect(out.setuid_root.ok).toBe(false);
      expect(out.chroot.ok).toBe(false);
      expect(out.mount_tmpfs.detail).not.toBe('0'); // an errno, not success
      expect(out.signal_server.ok).toBe(false); // another PID namespace: no such process
      expect(existsSync(marker)).toBe(false);
      expect(r.out + r.err).not.toContain(SECRET);
    } finally {
      await server.close();
      rmSync(marker, { force: true });
      rmdirSync(mountpoint);
    }
  });

  it('holds for a tool that switches the preamble hooks off first', async () => {
    const marker = join(tmpdir(), `engram-escape-${process.pid}-${Date.now()}-hooks`);
    const sourceCode = [
      'import ctypes, json, os, socket, sys',
      'def tool():',
      '    g = sys._getframe(1).f_globals  # the preamble that called us',
      '    g["_inside"] = lambda path: True',
      '    g["_private"] = lambda path: False',
      '    g["_blocked"].clear()',
      '    g["_path_events"].clear()',
      ...attempts({
        ...reads(),
        ...writes(),
        write_host_tmp: `open(${JSON.stringify(marker)}, "w").write("x")`,
      })
        .split('\n')
        .slice(1)
        .map((l) => `    ${l}`),
      '    return json.dumps(_out)',
    ].join('\n');
    try {
      const r = await sandbox.run({ sourceType: 'python', sourceCode, functionName: 'tool', args: {} });
      expect(r.status).toBe('success');
      const out = JSON.parse(r.funcReturn) as Record<string, Attempt>;
      for (const [name, result] of Object.entries(out)) {
        if (name === 'write_host_tmp') continue;
        expect({ name, ok: result.ok }).toEqual({ name, ok: false });
        // Refused by the OS, not by the (disabled) hook.
        expect({ name, detail: result.detail }).not.toEqual({
          name,
          detail: expect.stringContaining('sandbox:'),
        });
      }
      expect(out.proc.detail).toMatch(/FileNotFoundError/);
      expect(out.etc_passwd.detail).toMatch(/FileNotFoundError/);
      expect(out.write_root.detail).toMatch(/Read-only file system|Permission denied/);
      expect(existsSync(marker)).toBe(false);
      expect(r.funcReturn + r.stdout + r.stderr).not.toContain(SECRET);
    } finally {
      rmSync(marker, { force: true });
    }
  });

  it('gives each call its own /tmp: nothing carries over, nothing reaches the host', async () => {
    const write = await sandbox.run({
      sourceType: 'python',
      sourceCode:
        'import os\ndef tool():\n    open("/tmp/left-behind", "w").write("x")\n    return os.listdir("/tmp")',
      functionName: 'tool',
      args: {},
    });
    expect(write).toMatchObject({ status: 'success', funcReturn: '["left-behind"]' });
    const next = await sandbox.run({
      sourceType: 'python',
      sourceCode: 'import os\ndef tool():\n    return os.listdir("/tmp")',
      functionName: 'tool',
      args: {},
    });
    expect(next).toMatchObject({ status: 'success', funcReturn: '[]' });
    expect(existsSync(join(tmpdir(), 'left-behind'))).toBe(false);
  });

  it('caps the size of /tmp', async () => {
    const small = new ToolSandbox({
      timeoutMs: 10_000,
      tmpBytes: 1024 * 1024,
      fileSizeBytes: 64 * 1024 * 1024,
    });
    const r = await small.run({
      sourceType: 'python',
      sourceCode: 'def tool():\n    open("/tmp/big", "wb").write(b"x" * 4 * 1024 * 1024)\n    return "wrote"',
      functionName: 'tool',
      args: {},
    });
    expect(r.status).toBe('error');
    expect(r.funcReturn).toMatch(/No space left on device/);
  });
});

function run(cmd: string, argv: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, {
      cwd: '/',
      env: { PATH: '/usr/bin:/bin' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}
