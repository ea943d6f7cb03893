import { spawn } from 'node:child_process';
import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/**
 * OS confinement of Python tools, built from util-linux `unshare` and the interpreter itself
 * (no bubblewrap, no helper binary):
 *
 * 1. `unshare` gives the call new mount, network, PID, IPC and UTS namespaces (plus a user
 *    namespace when the server is not root).
 * 2. `CONFINE_PROGRAM` runs first, with the real interpreter, before any tool code exists. It
 *    mounts a small tmpfs as the new root, bind-mounts into it read-only only what the
 *    interpreter needs (its executable, standard library and the shared libraries they link,
 *    found with `ldd`; a few device nodes), mounts a private size-capped tmpfs at `/tmp`,
 *    remounts the root read-only, then `pivot_root`s into it and detaches the old root, so
 *    nothing of the host filesystem (the server's checkout, `.env`, `/etc`, `/home`) is left
 *    in the namespace at all.
 * 3. It forks: the parent stays as PID 1 of the namespace and only waits; the child drops to
 *    user nobody (65534) when the server is root (or clears every capability set in a user
 *    namespace), empties its capability bounding set, sets no_new_privs, and only then runs
 *    the tool's program (the preamble) in the same interpreter: no second start-up.
 *
 * The tool therefore runs as nobody, in an empty network namespace, unable to see or signal
 * other processes, in a filesystem where the only writable place is its own `/tmp`.
 */

export type ConfinementMode = 'root' | 'userns';

/** What the sandbox mounts, computed once per interpreter. */
export interface MountPlan {
  /** The real interpreter (symlinks and pyenv shims resolved). */
  python: string;
  entries: MountEntry[];
}

export type MountEntry =
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'bind'; path: string; isDir: boolean; device?: boolean };

/** Device nodes a tool may use (`os.devnull`, random bytes). */
const DEVICES = ['/dev/null', '/dev/zero', '/dev/random', '/dev/urandom'];
/** Read-only data some standard modules look for (time zones), when the host has it. */
const OPTIONAL_DATA = ['/usr/share/zoneinfo'];

const NOBODY = 65534;

/** Where the interpreter lives and what it loads, asked of the interpreter itself. */
const INFO_SCRIPT = `
import json, os, sys, sysconfig
dyn = sysconfig.get_config_var("DESTSHARED") or ""
print(json.dumps({
    "python": os.path.realpath(sys.executable),
    "dirs": sorted({p for p in sys.path if p and os.path.isdir(p)} | {p for p in (sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib"), dyn) if p and os.path.isdir(p)}),
    "dynload": dyn if os.path.isdir(dyn) else "",
}))
`;

function run(
  cmd: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, {
      env: env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20_000,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e) => resolvePromise({ code: -1, out, err: e.message }));
    child.on('close', (code) => resolvePromise({ code, out, err }));
  });
}

/**
 * The mount plan for `pythonPath` (a name looked up in the server's PATH, e.g. a pyenv shim,
 * or a path): the interpreter's directories, and every shared library that it and its C
 * extension modules link against.
 */
export async function planMounts(pythonPath: string): Promise<MountPlan> {
  const info = await run(pythonPath, ['-I', '-S', '-c', INFO_SCRIPT]);
  if (info.code !== 0)
    throw new Error(`cannot run ${pythonPath}: ${(info.err || info.out).trim().slice(-300)}`);
  const { python, dirs, dynload } = JSON.parse(info.out.trim().split('\n').pop()!) as {
    python: string;
    dirs: string[];
    dynload: string;
  };
  const binaries = [python];
  if (dynload) {
    for (const name of readdirSync(dynload)) if (name.endsWith('.so')) binaries.push(join(dynload, name));
  }
  const libraries = await sharedLibraries(binaries);
  const plan = new PlanBuilder();
  plan.add(python);
  for (const d of dirs) plan.add(d);
  for (const lib of libraries) plan.add(lib);
  for (const dev of DEVICES) plan.add(dev, true);
  for (const data of OPTIONAL_DATA) plan.add(data, false, true);
  const cwd = process.cwd();
  for (const e of plan.entries) {
    if (e.kind === 'bind' && (cwd === e.path || cwd.startsWith(e.path + '/')))
      throw new Error(`the sandbox would expose the server's directory ${cwd} (it lies inside ${e.path})`);
  }
  return { python, entries: plan.entries };
}

/** Absolute paths of the shared libraries `binaries` load, as the dynamic linker resolves them. */
async function sharedLibraries(binaries: string[]): Promise<string[]> {
  const found = new Set<string>();
  for (let i = 0; i < binaries.length; i += 64) {
    const r = await run('ldd', binaries.slice(i, i + 64), {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      LC_ALL: 'C',
    });
    if (r.code === -1) throw new Error(`ldd is not available: ${r.err}`);
    for (const line of r.out.split('\n')) {
      const m = /=>\s+(\/\S+)\s+\(0x/.exec(line) ?? /^\s+(\/\S+)\s+\(0x/.exec(line);
      if (m) found.add(m[1]);
    }
  }
  return [...found];
}

/** Collects mount entries, recreating each symlink on the way to a path as a symlink. */
class PlanBuilder {
  readonly entries: MountEntry[] = [];
  private readonly seen = new Set<string>();

  add(path: string, device = false, optional = false, depth = 0): void {
    if (depth > 40) throw new Error(`too many symlinks resolving ${path}`);
    if (this.covered(path)) return;
    const parts = path.split('/').filter(Boolean);
    let current = '';
    for (let i = 0; i < parts.length; i++) {
      const next = `${current}/${parts[i]}`;
      let isLink: boolean;
      try {
        isLink = lstatSync(next).isSymbolicLink();
      } catch (err) {
        if (optional) return;
        throw err;
      }
      if (isLink) {
        const target = readlinkSync(next);
        this.push({ kind: 'symlink', path: next, target });
        const base = isAbsolute(target) ? target : resolve(dirname(next), target);
        return this.add(join(base, ...parts.slice(i + 1)), device, optional, depth + 1);
      }
      current = next;
    }
    const real = realpathSync(current);
    this.push({
      kind: 'bind',
      path: real,
      isDir: statSync(real).isDirectory(),
      ...(device ? { device } : {}),
    });
  }

  /** A path inside a directory already bound needs nothing more. */
  private covered(path: string): boolean {
    return this.entries.some(
      (e) => e.kind === 'bind' && e.isDir && (path === e.path || path.startsWith(e.path + '/')),
    );
  }

  private push(e: MountEntry): void {
    if (this.seen.has(e.path) || this.covered(e.path)) return;
    this.seen.add(e.path);
    this.entries.push(e);
  }
}

/**
 * The command line that runs the Python source `program` confined: `root` is an empty host
 * directory used as the new root's mount point, `tmpBytes` the size of `/tmp`.
 */
export function confinedCommand(
  mode: ConfinementMode,
  plan: MountPlan,
  root: string,
  tmpBytes: number,
  program: string,
): [string, string[]] {
  const spec = JSON.stringify({
    root,
    entries: plan.entries,
    tmpBytes,
    uid: mode === 'root' ? NOBODY : 0,
    gid: mode === 'root' ? NOBODY : 0,
    program,
  });
  const namespaces = ['--mount', '--net', '--pid', '--ipc', '--uts', '--fork', '--kill-child'];
  if (mode === 'userns') namespaces.unshift('--user', '--map-root-user');
  return ['unshare', [...namespaces, '--', plan.python, '-I', '-S', '-u', '-c', CONFINE_PROGRAM, spec]];
}

/** Exit code of the confinement program when it could not set the sandbox up. */
export const SETUP_FAILED = 125;

/**
 * Runs as root of the new namespaces before any tool code: builds the root, pivots into it,
 * forks, drops privileges in the child and runs the tool's program there. See the file comment.
 */
export const CONFINE_PROGRAM = String.raw`
import ctypes, json, os, sys

def fail(what):
    os.write(2, ("engram sandbox setup failed: %s\n" % (what,)).encode("utf-8", "replace"))
    os._exit(125)

try:
    spec = json.loads(sys.argv[1])
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]

    def enc(s):
        return None if s is None else s.encode()

    def check(rc, what):
        if rc != 0:
            e = ctypes.get_errno()
            raise OSError(e, "%s: %s" % (what, os.strerror(e)))

    def mount(src, dst, fstype, flags, data=None):
        check(libc.mount(enc(src), enc(dst), enc(fstype), flags, enc(data)), "mount " + str(dst))

    RDONLY, NOSUID, NODEV, NOEXEC, REMOUNT, BIND, REC, PRIVATE = 1, 2, 4, 8, 32, 4096, 16384, 1 << 18
    NOATIME, NODIRATIME, RELATIME = 1024, 2048, 1 << 21

    def kept_flags(path):
        # Flags a bind must keep when remounted (a user namespace may not clear them).
        f = os.statvfs(path).f_flag
        out = 0
        for st, ms in ((2, NOSUID), (4, NODEV), (8, NOEXEC), (1024, NOATIME), (2048, NODIRATIME), (4096, RELATIME)):
            if f & st:
                out |= ms
        return out

    root = spec["root"]
    mount(None, "/", None, REC | PRIVATE)
    mount("engram-root", root, "tmpfs", NOSUID | NODEV, "size=4m,mode=0755")
    for e in spec["entries"]:
        where = root + e["path"]
        os.makedirs(os.path.dirname(where), 0o755, exist_ok=True)
        if e["kind"] == "symlink":
            os.symlink(e["target"], where)
            continue
        if e["isDir"]:
            os.makedirs(where, 0o755, exist_ok=True)
        else:
            open(where, "a").close()
        mount(e["path"], where, None, BIND | REC)
        flags = BIND | REMOUNT | RDONLY | NOSUID | kept_flags(e["path"])
        if not e.get("device"):
            flags |= NODEV
        mount(None, where, None, flags)
    tmp = root + "/tmp"
    os.makedirs(tmp, 0o755, exist_ok=True)
    mount("engram-tmp", tmp, "tmpfs", NOSUID | NODEV,
          "size=%d,mode=0700,uid=%d,gid=%d" % (spec["tmpBytes"], spec["uid"], spec["gid"]))
    mount(None, root, None, REMOUNT | RDONLY | NOSUID | NODEV, "size=4m,mode=0755")

    machine = os.uname().machine
    pivot = {"x86_64": 155, "aarch64": 41, "arm64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217, "armv7l": 218}.get(machine)
    if pivot is None:
        raise OSError("pivot_root: unsupported architecture %s" % machine)
    os.chdir(root)
    check(libc.syscall(pivot, b".", b"."), "pivot_root")
    check(libc.umount2(b".", 2), "detach the old root")  # 2 = MNT_DETACH
    os.chdir("/")
except BaseException as e:
    fail(e)

child = os.fork()
if child == 0:
    try:
        os.chdir("/tmp")
        for cap in range(64):
            if libc.prctl(24, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:  # PR_CAPBSET_DROP; EINVAL: past the last
                break
        libc.prctl(47, 4, 0, 0, 0)  # PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL
        if spec["uid"] != 0:
            os.setgroups([])
            os.setresgid(spec["gid"], spec["gid"], spec["gid"])
            os.setresuid(spec["uid"], spec["uid"], spec["uid"])
        else:
            # Root of a user namespace: clear every capability set, so exec grants none back.
            class Header(ctypes.Structure):
                _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

            class Data(ctypes.Structure):
                _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

            check(libc.capset(ctypes.byref(Header(0x20080522, 0)), (Data * 2)()), "capset")
        check(libc.prctl(38, 1, 0, 0, 0), "no_new_privs")  # PR_SET_NO_NEW_PRIVS
        program = compile(spec["program"], "<engram>", "exec")
        del spec, libc
        sys.argv = ["-c"]
    except BaseException as e:
        fail(e)
    exec(program, {"__name__": "__engram__", "__builtins__": __builtins__})
    os._exit(0)

# PID 1 of the namespace: wait for the tool and pass its end on (a signal as 128 + number).
while True:
    try:
        _, status = os.waitpid(child, 0)
        break
    except InterruptedError:
        continue
if os.WIFSIGNALED(status):
    os._exit(128 + os.WTERMSIG(status))
os._exit(os.WEXITSTATUS(status))
`;
