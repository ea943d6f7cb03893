/**
 * The program every Python tool call runs before the tool (confined: in the sandboxed process
 * after python-confinement.ts has built its namespaces; unconfined: as `python3 -I -S -u -c`).
 * It reads one JSON payload on stdin ({source, function, args, root, limits}), applies kernel
 * resource limits, installs an audit hook, runs the tool and writes one JSON result to fd 3
 * (never to stdout, which belongs to the tool). The audit hook is defence in depth only: code
 * inside the tool can reach and disable it (PEP 578 says as much). The boundary is the OS
 * confinement: namespaces, a private read-only root, user nobody, no capabilities.
 */
export const PYTHON_PREAMBLE = String.raw`
import sys, os, json, resource
_p = json.loads(sys.stdin.read())
sys.stdin.close()
_res_fd = os.dup(3)
os.close(3)
_lim = _p["limits"]

def _setlim(kind, soft, hard=None):
    try:
        resource.setrlimit(kind, (soft, soft if hard is None else hard))
    except (ValueError, OSError):
        pass

_setlim(resource.RLIMIT_AS, _lim["memBytes"])
_setlim(resource.RLIMIT_CPU, _lim["cpuSeconds"], _lim["cpuSeconds"] + 1)
_setlim(resource.RLIMIT_FSIZE, _lim["fileBytes"])
_setlim(resource.RLIMIT_NOFILE, 64)
_setlim(resource.RLIMIT_CORE, 0)
_setlim(resource.RLIMIT_NPROC, 0)

_root = os.path.realpath(_p["root"])
_write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_blocked = {
    "os.system", "os.exec", "os.spawn", "os.posix_spawn", "os.fork", "os.forkpty", "os.kill", "os.killpg",
    "subprocess.Popen", "pty.spawn", "ctypes.dlopen", "ctypes.dlsym", "ctypes.cdata", "ctypes.call_function",
    "socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
    "socket.gethostbyname", "socket.gethostbyaddr", "socket.gethostbyname_ex", "os.chroot", "sys.remote_exec",
}
_path_events = {
    "os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.truncate", "os.utime", "os.link",
    "os.symlink", "os.rename", "shutil.rmtree", "shutil.copyfile", "shutil.copytree", "shutil.move",
    "shutil.make_archive", "shutil.unpack_archive", "os.mkfifo", "os.mknod",
}

def _inside(path):
    if isinstance(path, int):
        return True
    try:
        full = os.path.realpath(os.fsdecode(path))
    except Exception:
        return False
    return full == _root or full.startswith(_root + os.sep) or full == os.devnull

def _private(path):
    if isinstance(path, int):
        return False
    try:
        full = os.path.realpath(os.fsdecode(path))
    except Exception:
        return True
    return full == "/proc" or full.startswith(("/proc/", "/sys/"))

def _hook(event, args):
    if event in _blocked:
        raise PermissionError("sandbox: %s is not allowed" % event)
    if event == "socket.__new__" and len(args) > 1 and args[1] != 1:  # 1 = AF_UNIX (socketpair for asyncio)
        raise PermissionError("sandbox: network sockets are not allowed")
    if event == "open" and args:
        mode, flags = args[1] if len(args) > 1 else None, args[2] if len(args) > 2 else 0
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool((flags or 0) & _write_flags)
        if _private(args[0]):
            raise PermissionError("sandbox: /proc and /sys are not readable")
        if writes and not _inside(args[0]):
            raise PermissionError("sandbox: writing outside the tool's directory is not allowed: %r" % (args[0],))
    elif event in _path_events:
        for a in args[:2]:
            if isinstance(a, (str, bytes, os.PathLike)) and not _inside(a):
                raise PermissionError("sandbox: %s outside the tool's directory is not allowed" % event)

def _send(obj):
    data = json.dumps(obj).encode("utf-8")
    view = memoryview(data)
    while view:
        view = view[os.write(_res_fd, view):]

def _as_text(value):
    if isinstance(value, str):
        return value
    if value is None:
        return "None"
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)

import traceback, inspect
sys.addaudithook(_hook)
_limit = _p["returnCharLimit"]
try:
    _ns = {"__name__": "__tool__", "__builtins__": __builtins__}
    exec(compile(_p["source"], "<tool>", "exec"), _ns)
    _fn = _ns.get(_p["function"])
    if not callable(_fn):
        raise NameError("function %r is not defined at the top level of the tool" % _p["function"])
    _value = _fn(**_p["args"])
    if inspect.isawaitable(_value):
        import asyncio
        _value = asyncio.run(_value)
    _text = _as_text(_value)
    _out = {"ok": True, "value": _text[:_limit], "total": len(_text)}
except MemoryError:
    _out = {"ok": False, "type": "MemoryError", "message": "out of memory"}
except BaseException as e:
    _tb = traceback.format_exception(type(e), e, e.__traceback__)
    _out = {"ok": False, "type": type(e).__name__, "message": str(e), "traceback": "".join(_tb[-6:])}
try:
    sys.stdout.flush()
    sys.stderr.flush()
except BaseException:
    pass
try:
    _send(_out)
except MemoryError:
    _send({"ok": False, "type": "MemoryError", "message": "out of memory"})
os._exit(0)
`;
