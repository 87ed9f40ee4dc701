"""The file agent goenv-tui runs on a remote host, and the file primitives both hosts share.

Over SSH this module's own source is the remote command (`python3 -u -c <source>`, see
`source()`): it answers JSON-lines requests (stat, read, listdir, write, run, …) on stdin,
concurrently (a thread per request, answers tagged with the request id), so the hundreds of
small file operations and the parallel shell traces of a diagnosis cost no SSH handshake each.
`run` starts the command in its own session under a deadline and kills its process group
afterwards, as the local runner does. It only ever touches the paths it is asked about.

Because it runs on the remote side by itself, it imports nothing but the standard library
(and must keep working on the oldest python3 a remote host may have: 3.7). LocalHost uses
`write_atomic`, `open_regular` and `file_kind` from here, so both hosts write and refuse the same way.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import pwd
import signal
import stat as S
import sys
import threading
import time
import zlib

# Only what the first answers need is imported before the agent says it is ready: every
# millisecond of its start is part of connecting. subprocess, shutil and tempfile (~6 ms with
# typing) are imported where they are used, and warmed up in the background (see serve).
TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy reads the name)
if TYPE_CHECKING:
    import subprocess
    from typing import IO, Any


class NotRegular(ValueError):
    """A path that is not a regular file was asked to be read (the message says what it is)."""


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words a person understands."""
    if S.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if S.S_ISCHR(mode):
        return "a character device"
    if S.S_ISBLK(mode):
        return "a block device"
    if S.S_ISSOCK(mode):
        return "a socket"
    if S.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def open_regular(path: str) -> int:
    """Open `path` for reading only if it is a regular file (or /dev/null, which reads empty).

    Opening a FIFO blocks until a writer comes, forever, and a device such as /dev/zero never
    ends: neither is opened for a read (NotRegular says what the path is). O_NONBLOCK makes the
    open itself return at once whatever the path is; it is cleared for the read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not S.S_ISREG(st.st_mode):
            if S.S_ISCHR(st.st_mode) and st.st_rdev == os.stat(os.devnull).st_rdev:
                return fd  # /dev/null: empty, harmless
            real = os.path.realpath(path)
            shown = f" ({real})" if real != path else ""
            raise NotRegular(f"{path}: {file_kind(st.st_mode)}{shown}, not a regular file; not read")
        os.set_blocking(fd, True)
        return fd
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str, limit: int | None = None) -> bytes:
    with os.fdopen(open_regular(path), "rb") as fh:
        return fh.read() if limit is None else fh.read(limit)


def write_atomic(path: str, data: bytes, mode: int | None = None, owner: tuple[int, int] | None = None) -> None:
    """Write via a temp file in the same directory, fsync, rename over `path`, fsync the directory.

    Keeps the mode (and owner, where allowed) of the file it replaces; a new file gets `mode`
    and, when given, `owner` (uid, gid). Raises OSError; the temp file never stays behind.
    """
    directory = os.path.dirname(os.path.abspath(path)) or "."
    old: os.stat_result | None = None
    with contextlib.suppress(OSError):
        old = os.stat(path)
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=".goenv-tui.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        elif old is not None:
            os.chmod(tmp, S.S_IMODE(old.st_mode))
        if old is not None:
            with contextlib.suppress(PermissionError):
                os.chown(tmp, old.st_uid, old.st_gid)
        elif owner is not None:
            os.chown(tmp, owner[0], owner[1])
        os.replace(tmp, path)
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# --- the agent's operations ------------------------------------------------------------------

def info(path: str, follow: bool) -> dict[str, Any]:
    """stat/lstat as the fields of host.base.FileInfo."""
    try:
        st = os.stat(path) if follow else os.lstat(path)
    except OSError as e:
        return {"path": path, "exists": False, "error": e.strerror or str(e)}
    target = None
    if S.S_ISLNK(st.st_mode):
        try:
            target = os.readlink(path)
        except OSError:
            target = None
    return {"path": path, "exists": True, "is_file": S.S_ISREG(st.st_mode), "is_dir": S.S_ISDIR(st.st_mode),
            "is_symlink": S.S_ISLNK(st.st_mode), "mode": st.st_mode, "size": st.st_size, "uid": st.st_uid,
            "mtime_ns": st.st_mtime_ns, "link_target": target}


def binhead(path: str, magic: bytes) -> tuple[bytes, int, bytes, int]:
    """The header of a binary, where `magic` is (16-byte aligned, -1 if nowhere), the 64 KiB
    from there, and the file's size: what tells what a binary is, without sending all of it."""
    data = read_regular(path)
    head = data[:4096]
    at = -1
    start = 0
    while True:
        at = data.find(magic, start)
        if at < 0 or at % 16 == 0:
            break
        start = at + 1
    block = data[at:at + 65536] if at >= 0 else b""
    return head, at, block, len(data)


def prefetch(paths: list[str], dirs: list[str]) -> dict[str, dict[str, Any]]:
    """Each path, and every hop of its symlink chain (the way goenv-tui follows one: relative
    targets against the realpath of the link's folder), with the lookups that walk asks."""
    out: dict[str, dict[str, Any]] = {"lstat": {}, "stat": {}, "realpath": {}}
    for path in dirs:
        out["realpath"][path] = {"path": os.path.realpath(path)}
    for path in paths:
        cur = path
        for _ in range(40):
            if cur in out["lstat"]:
                break
            out["lstat"][cur] = lst = info(cur, False)
            # Nothing there (or not reachable): following it finds nothing either.
            out["stat"][cur] = info(cur, True) if lst["exists"] else lst
            if not lst["exists"] or not lst["is_symlink"] or lst["link_target"] is None:
                break
            base = os.path.dirname(cur)
            out["realpath"][base] = {"path": os.path.realpath(base)}
            target = lst["link_target"]
            cur = os.path.normpath(target if target.startswith("/") else os.path.join(out["realpath"][base]["path"], target))
    return out


def _packed(data: bytes) -> str:
    # Traces are large and repetitive (PS4 repeats every watched value): compressed they cross
    # the connection ten to fifty times faster.
    return base64.b64encode(zlib.compress(data, 1)).decode()


# Containment (issue 13.6): the agent is a child subreaper (Linux), so whatever a command leaves
# behind — a `setsid env -i sleep &` daemon escapes its process group and any token — is
# reparented to the agent instead of to init, and killed by `sweep()` as soon as no command is
# running (orphans cannot be told apart by run, so they are killed when every run has ended),
# and when the agent ends.
_RUNNING: set[int] = set()  # pids of the commands running now (Popen children, reaped by their run)
_RUNNING_LOCK = threading.Lock()
_SUBREAPER: list[bool] = []


def become_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux's PR_SET_CHILD_SUBREAPER)."""
    if not _SUBREAPER:
        ok = False
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                ok = ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0
            except (OSError, AttributeError):
                ok = False
        _SUBREAPER.append(ok)
    return _SUBREAPER[0]


def _children() -> list[int]:
    me = os.getpid()
    out: list[int] = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return out
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 1 and int(fields[1]) == me:
            out.append(int(name))
    return out


def sweep() -> list[int]:
    """Kill (and reap) every child of the agent that is not a running command: the orphans of
    commands that have ended. Repeats until none is left (killing one may orphan its children)."""
    killed: list[int] = []
    for _ in range(50):
        with _RUNNING_LOCK:
            orphans = [pid for pid in _children() if pid not in _RUNNING]
            for pid in orphans:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        if not orphans:
            break
        for pid in orphans:
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
        killed += orphans
    return killed


# Runs the caller may stop early (op "cancel" with the key it gave the run): key -> stop event.
_CANCELS: dict[str, threading.Event] = {}


def cancel(key: str) -> bool:
    """Stop the run started with this key, as at its deadline (the caller knows waiting is pointless)."""
    with _RUNNING_LOCK:
        event = _CANCELS.get(key)
    if event is not None:
        event.set()
    return event is not None


def run(argv: list[str], env: dict[str, str] | None, cwd: str | None, timeout: float, stdin: bytes | None,
        hold: bool, idle: float | None = None, key: str | None = None) -> dict[str, Any]:
    """Run argv in its own session; at the deadline (or after `idle` seconds without stderr)
    SIGHUP, then SIGKILL, its whole process group, and whatever it orphaned (see `sweep`).
    stdout/stderr come back compressed."""
    import subprocess

    start = time.monotonic()
    become_subreaper()
    stop = threading.Event()
    if key is not None:
        with _RUNNING_LOCK:
            _CANCELS[key] = stop
    try:
        with _RUNNING_LOCK:  # registered before a sweep can see it as an orphan
            proc = subprocess.Popen(argv, env=env, cwd=cwd, start_new_session=True, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE,
                                    stdin=subprocess.PIPE if (stdin is not None or hold) else subprocess.DEVNULL)
            _RUNNING.add(proc.pid)
    except OSError as e:
        return {"returncode": None, "stdout": "", "stderr": "", "timed_out": False, "duration_ms": 0.0,
                "error": "cannot start " + argv[0] + ": " + (e.strerror or str(e))}
    try:
        return _supervise(proc, start, timeout, stdin, idle, stop)
    finally:
        with _RUNNING_LOCK:
            _RUNNING.discard(proc.pid)
            if key is not None:
                _CANCELS.pop(key, None)
            idle_now = not _RUNNING
        if idle_now and _SUBREAPER[0]:
            sweep()


def _supervise(proc: subprocess.Popen[bytes], start: float, timeout: float, stdin: bytes | None,
               idle: float | None, stop: threading.Event) -> dict[str, Any]:
    bufs: dict[str, list[bytes]] = {"out": [], "err": []}
    last = [start]  # when stderr last said something (a traced shell that prints is progressing)

    def pump(stream: IO[bytes], key: str) -> None:
        for chunk in iter(lambda: stream.read1(65536), b""):  # type: ignore[attr-defined]
            bufs[key].append(chunk)
            if key == "err":
                last[0] = time.monotonic()

    readers = [threading.Thread(target=pump, args=(proc.stdout, "out"), daemon=True),
               threading.Thread(target=pump, args=(proc.stderr, "err"), daemon=True)]
    for r in readers:
        r.start()
    if stdin is not None and proc.stdin is not None:
        try:
            proc.stdin.write(stdin)
            proc.stdin.close()
        except OSError:
            pass
    # A blocking wait in its own thread sees the exit at once (Popen.wait with a timeout polls
    # with sleeps of up to 50 ms, and a probe's go build, go vet, … wait for each other).
    waiter = threading.Thread(target=proc.wait, daemon=True)
    waiter.start()
    timed_out = False
    stalled = False
    cancelled = False
    while True:
        now = time.monotonic()
        left = start + timeout - now
        if idle is not None:
            left = min(left, last[0] + idle - now)
        waiter.join(timeout=max(0.0, min(left, 0.1)))
        if not waiter.is_alive():
            break
        if left > 0 and not stop.is_set():
            continue
        if not timed_out:
            cancelled = left > 0
            stalled = not cancelled and idle is not None and time.monotonic() < start + timeout
        timed_out = True
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGHUP)
        # A moment to exit on the hangup; a child that ignores it is killed below (SIGKILL).
        waiter.join(timeout=0.3)
        break
    for r in readers:
        r.join(timeout=0.15)
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    for r in readers:
        r.join(timeout=0.5)
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    code = proc.wait()
    error = None
    if timed_out:
        error = "stopped early" if cancelled else (f"no progress for {idle:g}s") if stalled \
            else (f"timed out after {timeout:g}s")
    return {"returncode": None if timed_out else code, "timed_out": timed_out, "stalled": stalled, "z": True,
            "cancelled": cancelled,
            "stdout": _packed(b"".join(bufs["out"])), "stderr": _packed(b"".join(bufs["err"])),
            "duration_ms": (time.monotonic() - start) * 1000, "error": error}


def initial_environ() -> dict[str, str]:
    """The environment this program was started with: what sshd and the login shell gave it.
    os.environ is not quite that: python may add LC_CTYPE=C.UTF-8 to it at start (PEP 538 locale
    coercion, under a C or POSIX locale). Linux keeps the original in /proc/self/environ."""
    try:
        with open("/proc/self/environ", "rb") as fh:
            raw = fh.read()
    except OSError:
        return dict(os.environ)
    out: dict[str, str] = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep and key:
            out[os.fsdecode(key)] = os.fsdecode(value)
    return out


def host_info() -> dict[str, Any]:
    pw = pwd.getpwuid(os.getuid())
    # What platform.system()/machine() and socket.gethostname() return, without importing them.
    uname = os.uname()
    has_timeout = any(os.access(d + "/timeout", os.X_OK) and not os.path.isdir(d + "/timeout")
                      for d in ("/usr/bin", "/bin", "/usr/local/bin"))
    return {"hostname": uname.nodename, "system": uname.sysname, "machine": uname.machine,
            "euid": os.geteuid(), "home": os.path.expanduser("~"), "shell": pw.pw_shell, "environ": initial_environ(),
            "has_timeout": has_timeout}


def handle(req: dict[str, Any]) -> Any:
    """One request's answer (raises OSError / ValueError for a failure to report)."""
    op = req["op"]
    if op == "run":
        stdin = base64.b64decode(req["stdin"]) if req.get("stdin") is not None else None
        return run(req["argv"], req.get("env"), req.get("cwd"), req["timeout_s"], stdin, req.get("hold", False),
                   req.get("idle_s"), req.get("key"))
    if op == "cancel":
        return {"found": cancel(req["key"])}
    if op == "stat":
        return info(req["path"], True)
    if op == "lstat":
        return info(req["path"], False)
    if op == "prefetch":
        return prefetch(req["paths"], req["dirs"])
    if op == "read":
        return {"data": base64.b64encode(read_regular(req["path"], req.get("limit"))).decode()}
    if op == "listdir":
        return {"names": sorted(os.listdir(req["path"]))}
    if op == "realpath":
        return {"path": os.path.realpath(req["path"])}
    if op == "which":
        import shutil

        return {"path": shutil.which(req["name"], path=req.get("path"))}
    if op == "write":
        write_atomic(req["path"], base64.b64decode(req["data"]), req.get("mode"))
        return {}
    if op == "makedirs":
        os.makedirs(req["path"], exist_ok=True)
        return {}
    if op == "remove_file":
        with contextlib.suppress(FileNotFoundError):
            os.unlink(req["path"])
        return {}
    if op == "remove_tree":
        import shutil

        shutil.rmtree(req["path"], ignore_errors=True)
        return {}
    if op == "mkdtemp":
        import tempfile

        return {"path": tempfile.mkdtemp(prefix=req["prefix"])}
    if op == "binhead":
        head, at, block, size = binhead(req["path"], base64.b64decode(req["magic"]))
        return {"head": base64.b64encode(head).decode(), "at": at, "block": base64.b64encode(block).decode(), "size": size}
    if op == "contains":
        data = read_regular(req["path"])
        return {"found": [n for n in req["needles"] if n.encode() in data]}
    if op == "info":
        return host_info()
    raise ValueError("unknown op " + op)


def answer(req: dict[str, Any]) -> dict[str, Any]:
    """The JSON-lines answer to one request: {"ok", "result" | "error", "id"}."""
    try:
        res: dict[str, Any] = {"ok": True, "result": handle(req)}
    except OSError as e:
        res = {"ok": False, "error": (getattr(e, "filename", None) or "") + ": " + (e.strerror or str(e))}
    except ValueError as e:
        res = {"ok": False, "error": str(e)}
    except Exception as e:  # noqa: BLE001 - any failure becomes an answer; the agent keeps serving
        res = {"ok": False, "error": type(e).__name__ + ": " + str(e)}
    res["id"] = req.get("id")
    return res


def _warm_up() -> None:
    """Import what runs and writes need while the first lookups are answered (said ready first)."""
    import shutil  # noqa: F401
    import subprocess  # noqa: F401
    import tempfile  # noqa: F401


def serve(stdin: IO[str], stdout: IO[str]) -> None:
    """First line: {"ready": true, "info": …}; then one answer line per request line, each
    request in its own thread (shells traced in parallel, file lookups in between)."""
    lock = threading.Lock()

    def one(req: dict[str, Any]) -> None:
        line = json.dumps(answer(req)) + "\n"
        with lock:
            stdout.write(line)
            stdout.flush()

    stdout.write(json.dumps({"ready": True, "info": host_info()}) + "\n")
    stdout.flush()
    threading.Thread(target=_warm_up, daemon=True).start()
    try:
        for line in stdin:
            threading.Thread(target=one, args=(json.loads(line),), daemon=True).start()
    finally:
        if _SUBREAPER and _SUBREAPER[0]:
            with _RUNNING_LOCK:
                running = list(_RUNNING)
            for pid in running:  # the connection is gone: nothing of ours may stay
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGKILL)
            _RUNNING.clear()
            sweep()


def source() -> str:
    """This module's source: what the remote side runs (it is read from the installed file, so
    what is tested and linted here is exactly what runs there)."""
    import inspect  # here, not at the top: the remote side never needs it

    return inspect.getsource(sys.modules[__name__])


if __name__ == "__main__":
    serve(sys.stdin, sys.stdout)
    # Everything is answered and swept: end now. The interpreter's own teardown (modules, the
    # daemon threads) takes ~5 ms more, which the caller's close would wait for.
    sys.stdout.flush()
    os._exit(0)
