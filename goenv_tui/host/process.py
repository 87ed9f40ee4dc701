"""Running a child process so that it can neither hang us nor outlive us.

Every child starts in its own session (so its process group is its own), with a deadline, and
contained (see `containment`): in a PID namespace of its own when we may create one (as root),
else below an intermediate subreaper (host/reaper.py). Either way the traced program's parent
is not goenv-tui (`kill $PPID` in a startup file hits the namespace's init or the reaper, which
ignore it), and nothing it starts can outlive the run: a namespace dies with its init, and every
orphan is reparented to the reaper. At the deadline, or as soon as the child itself has exited,
whatever it left behind is killed: its descendants, its process group, and any process that
carries this run's token in its environment.

Every running child is registered, so that a signal (SIGTERM, SIGHUP, SIGINT) ending goenv-tui
can kill them all at once (`kill_all_running`).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import random
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Protocol, TypedDict

import psutil

from goenv_tui.host.base import RunResult

RUN_TOKEN_VAR = "GOENV_TUI_RUN_ID"
# While a child writes, let its pipes fill this long between reads (see _supervise).
_BATCH_S = 0.004
# After the main child exits, wait this long for grandchildren holding our pipes to let go.
_EXIT_GRACE_S = 0.15
_MAX_OUTPUT = 64 * 1024 * 1024


CONTAIN_VAR = "GOENV_TUI_CONTAIN"  # pidns | reaper (forked by the zygote) | reaper-exec | none: force one way (tests exercise each)
_REAPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reaper.py")
# Not the last command: sh forks it and stays, as the namespace's init. It first sets the pid
# the program gets (NS_PID_VAR, see _next_ns_pid), then drops that variable from its environment.
NS_PID_VAR = "_GOENV_TUI_NS_PID"
_SH_INIT = (f'[ -n "${{{NS_PID_VAR}-}}" ] && echo "${NS_PID_VAR}" > /proc/sys/kernel/ns_last_pid 2>/dev/null; '
            f'unset {NS_PID_VAR}; "$@"; exit $?')
_NS_PIDS = itertools.count(random.randrange(1000, 30000))


def _next_ns_pid() -> str:
    """The pid after which the next namespace's program is numbered. Each program would otherwise
    be pid 2 in its own namespace, so shells traced side by side in one home shared `$$`: the
    temporary files startup code names after it collided (compinit's `$dump.$HOST.$$`: "mv:
    cannot stat"), where real shells never share a pid. Distinct numbers, as real pids are."""
    return str(next(_NS_PIDS) * 7 % (_pid_max() - 1000) + 300)


@functools.cache
def _pid_max() -> int:
    try:
        with open("/proc/sys/kernel/pid_max") as fh:
            return max(2000, int(fh.read()))
    except (OSError, ValueError):
        return 32768


_PIDNS_LOCK = threading.Lock()


def _pidns_prefix() -> tuple[str, ...] | None:
    # Asked by every context's thread at once on the first diagnosis: one probe, not one each.
    with _PIDNS_LOCK:
        return _pidns_probe()


@functools.cache
def _pidns_probe() -> tuple[str, ...] | None:
    unshare = shutil.which("unshare", path="/usr/bin:/bin:/usr/sbin:/sbin")
    if unshare is None or os.geteuid() != 0 or not os.path.exists("/bin/sh"):
        return None
    # Its own /proc: programs that read /proc/<pid> of their children (dlv) see the pids they know.
    prefix = (unshare, "--fork", "--pid", "--mount-proc", "--kill-child", "--", "/bin/sh", "-c", _SH_INIT, "goenv-tui-init")
    try:
        ok = subprocess.run([*prefix, "/bin/true"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return prefix if ok else None  # e.g. a container that forbids new namespaces


def containment(kind: str | None = None, user: RunAs | None = None) -> tuple[str, tuple[str, ...]]:
    """How children are contained here: ("pidns", prefix), ("reaper", prefix) or ("none", ()).

    With `user`, the pidns prefix ends in `setpriv` (the namespace is made as root, the program
    runs as the user); the reaper is started as the user by Popen itself (see `popen_user`)."""
    kind = kind or os.environ.get(CONTAIN_VAR, "")
    if kind in ("", "pidns"):
        prefix = _pidns_prefix()
        drop = user.setpriv() if user is not None else ()
        if prefix is not None and drop is not None:
            return "pidns", prefix + drop
    if kind in ("", "pidns", "reaper", "reaper-exec") and sys.platform.startswith("linux") and sys.executable:
        # The reaper stays root and drops privileges only for the program (it must be able to
        # start: goenv-tui's Python may live where the user cannot reach, like /root/.pyenv).
        drop = ("--as", f"{user.uid}:{user.gid}:{','.join(map(str, user.groups))}") if user is not None else ()
        return "reaper", (sys.executable, "-S", "-E", _REAPER, *drop, "--")
    return "none", ()


def _forced() -> str:
    return os.environ.get(CONTAIN_VAR, "")


class _Child(Protocol):
    """What run_process needs of a started child: a Popen, or a program a zygote's reaper runs."""

    pid: int
    stdin: IO[bytes] | None
    stdout: IO[bytes] | None
    stderr: IO[bytes] | None

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def kill(self) -> None: ...


class _Zygote:
    """One `reaper.py --zygote` per goenv-tui process (see reaper.zygote): it forks each
    program's reaper instead of goenv-tui starting a Python reaper per program (~10 ms of CPU
    each, most of a traced shell's cost for a user who is not root). Started on first use; it
    exits when goenv-tui does (its socket closes). If it cannot start or dies, programs get a
    reaper of their own again."""

    _instance: _Zygote | None = None
    _broken = False
    _lock = threading.Lock()

    @classmethod
    def get(cls) -> _Zygote | None:
        with cls._lock:
            if cls._instance is None and not cls._broken:
                try:
                    cls._instance = cls()
                except OSError:
                    cls._broken = True
            return cls._instance

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-S", "-E", _REAPER, "--zygote", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                start_new_session=True, close_fds=True)
        finally:
            theirs.close()
        self.sock = ours
        self._send = threading.Lock()
        self._state = threading.Condition()
        self._next = 0
        self._started: dict[int, int] = {}  # request → the pid of the reaper it forked
        self._ended: dict[int, int] = {}  # pid → returncode
        self._dead = False
        threading.Thread(target=self._read, name="goenv-tui-zygote", daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                msg = self.sock.recv(4096)
            except OSError:
                msg = b""
            with self._state:
                if not msg:
                    self._dead = True
                    type(self)._broken = True
                    self._state.notify_all()
                    return
                kind, a, b = msg.split(b" ", 2)
                if kind == b"P":
                    self._started[int(a)] = int(b)
                elif kind == b"X":
                    self._ended[int(a)] = int(b)
                self._state.notify_all()

    def spawn(self, argv: Sequence[str], env: Mapping[str, str], cwd: str | None, with_stdin: bool) -> _ZygoteChild:
        ends: list[int] = []  # the child's ends, sent and then closed here
        ours: list[IO[bytes]] = []
        try:
            if with_stdin:
                r, w = os.pipe()
                ends.append(r)
                stdin: IO[bytes] | None = open(w, "wb", buffering=0)  # noqa: SIM115 - closed by the supervisor
            else:
                ends.append(os.open(os.devnull, os.O_RDONLY))
                stdin = None
            out_r, out_w = os.pipe()
            err_r, err_w = os.pipe()
            ends += [out_w, err_w]
            stdout, stderr = open(out_r, "rb", buffering=0), open(err_r, "rb", buffering=0)  # noqa: SIM115
            ours = [s for s in (stdin, stdout, stderr) if s is not None]
            # posix_spawnp searches the PATH of the reaper's environment, which is the child's.
            items = [*(os.fsencode(a) for a in argv), *(os.fsencode(f"{k}={v}") for k, v in env.items())]
            with self._state:
                self._next += 1
                req = self._next
            msg = b"\0".join([str(req).encode(), os.fsencode(cwd or ""), str(len(argv)).encode(), *items])
            with self._send:
                socket.send_fds(self.sock, [msg], ends)
            with self._state:
                if not self._state.wait_for(lambda: req in self._started or self._dead, timeout=10):
                    raise OSError("the reaper zygote did not answer")
                if self._dead and req not in self._started:
                    raise OSError("the reaper zygote is gone")
                pid = self._started.pop(req)
            return _ZygoteChild(self, pid, stdin, stdout, stderr)
        except BaseException:
            for f in ours:
                with contextlib.suppress(OSError):
                    f.close()
            raise
        finally:
            for fd in ends:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def code(self, pid: int, timeout: float | None) -> int | None:
        """The program's returncode once its reaper ended (None until then, or at the timeout)."""
        with self._state:
            self._state.wait_for(lambda: pid in self._ended or self._dead, timeout=timeout)
            if pid in self._ended:
                return self._ended.pop(pid)
            if self._dead and not psutil.pid_exists(pid):
                return -signal.SIGKILL  # the zygote died with it: its status is lost
            return None


class _ZygoteChild:
    """A Popen look-alike for a program run by a reaper the zygote forked (pid: that reaper, the
    leader of the program's process group and session, as Popen's start_new_session makes it)."""

    def __init__(self, zygote: _Zygote, pid: int, stdin: IO[bytes] | None, stdout: IO[bytes], stderr: IO[bytes]) -> None:
        self.zygote = zygote
        self.pid = pid
        self.stdin = stdin
        self.stdout: IO[bytes] | None = stdout
        self.stderr: IO[bytes] | None = stderr
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.zygote.code(self.pid, 0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.returncode = self.zygote.code(self.pid, timeout)
        if self.returncode is None:
            raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
        return self.returncode

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)


@dataclass(frozen=True)
class RunAs:
    """The account children run as when goenv-tui (as root) analyses another user's home: real and
    effective uid/gid and supplementary groups set in the child, no capabilities kept."""

    uid: int
    gid: int
    groups: tuple[int, ...]
    name: str
    home: str
    shell: str

    @staticmethod
    def for_uid(uid: int) -> RunAs:
        """The passwd account of `uid` (KeyError when there is none)."""
        import pwd

        pw = pwd.getpwuid(uid)
        groups = tuple(sorted(set(os.getgrouplist(pw.pw_name, pw.pw_gid))))
        return RunAs(uid, pw.pw_gid, groups, pw.pw_name, pw.pw_dir, pw.pw_shell)

    def start_dir(self, cwd: str | None) -> str | None:
        """Where a child of this account starts when the caller names no folder: goenv-tui's own
        (often /root, mode 0700) is one the account cannot enter, and `go` then fails with
        "cannot determine current directory". The account's home, as its own shells start, or /."""
        if cwd is not None:
            return cwd
        return self.home if self.home and os.path.isdir(self.home) else "/"

    def setpriv(self) -> tuple[str, ...] | None:
        tool = shutil.which("setpriv", path="/usr/bin:/bin:/usr/sbin:/sbin")
        if tool is None:
            return None
        return (tool, f"--reuid={self.uid}", f"--regid={self.gid}",
                "--groups=" + ",".join(str(g) for g in self.groups) if self.groups else "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--")


class PopenUser(TypedDict, total=False):
    """Popen's keyword arguments for running as another account."""

    user: int
    group: int
    extra_groups: list[int]


def popen_user(kind: str, user: RunAs | None) -> PopenUser:
    """Popen's own privilege drop, for when neither setpriv nor the reaper drops them."""
    if user is None or kind in ("pidns", "reaper"):
        return {}
    return {"user": user.uid, "group": user.gid, "extra_groups": list(user.groups)}


def _startable(argv0: str, env: Mapping[str, str]) -> str | None:
    """Why argv0 cannot be started (checked here: behind a reaper the error would be the reaper's)."""
    path = argv0 if "/" in argv0 else shutil.which(argv0, path=env.get("PATH", os.defpath))
    if path is None or not os.path.exists(path):
        return "No such file or directory"
    if os.path.isdir(path) or not os.access(path, os.X_OK):
        return "Permission denied"
    return None


# pgid → (token, birth mark) of every child running now (see kill_all_running).
_LIVE: dict[int, tuple[str, float]] = {}
_LIVE_LOCK = threading.RLock()  # re-entered by a signal handler on the main thread


def register(pgid: int, token: str, born: float) -> None:
    with _LIVE_LOCK:
        _LIVE[pgid] = (token, born)


def unregister(pgid: int) -> None:
    with _LIVE_LOCK:
        _LIVE.pop(pgid, None)


_STOP = threading.Event()


def stop_all() -> list[int]:
    """goenv-tui is ending (a signal, `q` in the app): kill every running child now, and start no
    new one until `resume()`. Returns the pids killed."""
    _STOP.set()
    return kill_all_running()


def resume() -> None:
    """Children may be started again (a new app in the same process, as in tests)."""
    _STOP.clear()


def stopping() -> bool:
    return _STOP.is_set()


def kill_all_running() -> list[int]:
    """Kill every child this process started and everything they started (on a signal, on quit)."""
    with _LIVE_LOCK:
        live = dict(_LIVE)
    killed: list[int] = []
    for pgid, (token, born) in live.items():
        with contextlib.suppress(Exception):
            killed += kill_leftovers(pgid, token, born)[0]
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
    return killed


def _describe(proc: psutil.Process) -> str:
    try:
        cmd = " ".join(proc.cmdline()) or proc.name()
    except (psutil.Error, OSError):
        cmd = "?"
    return f"{proc.pid} {cmd}"[:200]


def birth_mark(pid: int) -> float:
    """A lower bound for the start time of `pid`'s descendants, on psutil's own clock.

    Comparing psutil's create_time with time.time() is off by up to a second (Linux's boot time
    is whole seconds) and by any clock step since boot; the child's own create_time is not.
    """
    try:
        return psutil.Process(pid).create_time() - 0.05
    except psutil.Error:
        return time.time() - 5


@functools.cache
def _kthreadd_is_2() -> bool:
    """Whether pid 2 is Linux's kernel-thread parent (in a container it can be anything)."""
    try:
        return psutil.Process(2).name() == "kthreadd"
    except psutil.Error:
        return False


def _leftovers(pgid: int, token: str, since: float) -> list[psutil.Process]:
    """Processes still alive from this run: same process group, or carrying our token.

    `since` is a birth mark (see `birth_mark`): older processes are not ours.
    """
    found: dict[int, psutil.Process] = {}
    others: list[psutil.Process] = []
    # Descendants of the group leader (our child): the reaper's orphans are found here whatever
    # their group, session or environment.
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pgid)
        if root.create_time() >= since:
            for proc in root.children(recursive=True):
                found[proc.pid] = proc
    for proc in psutil.process_iter(["pid", "ppid", "create_time"]):
        try:
            if proc.info["create_time"] is None or proc.info["create_time"] < since:
                continue
            if proc.pid == os.getpid() or (proc.info["ppid"] == 2 and _kthreadd_is_2()):
                continue  # a kernel thread: no environment, never ours
            if os.getpgid(proc.pid) == pgid:
                found[proc.pid] = proc
            else:
                others.append(proc)
        except (psutil.Error, OSError, ProcessLookupError):
            continue
    # In the middle of execve the new image's environment is not set up yet and reads as empty
    # (a `setsid sleep` caught there escaped the sweep): an empty one is read again shortly.
    for delay in (0.0, 0.002, 0.01, 0.05):
        if not others:
            break
        time.sleep(delay)
        unsure = []
        for proc in others:
            try:
                env = proc.environ()
            except (psutil.Error, OSError):
                continue
            if env.get(RUN_TOKEN_VAR) == token:
                found[proc.pid] = proc
            elif not env:
                unsure.append(proc)
        others = unsure
    return list(found.values())


def kill_leftovers(pgid: int, token: str, since: float) -> tuple[list[int], list[str]]:
    """SIGKILL the process group and every process with the token; return pids and descriptions.

    Sweeps until a scan finds nothing: a process can fork between a scan and the kill (`setsid`
    forks when it leads its group), and its child must not escape.
    """
    killed: list[int] = []
    described: list[str] = []
    for _ in range(8):
        found = [p for p in _leftovers(pgid, token, since) if p.pid != pgid and _running(p)]
        if not found:
            break  # only a scan that finds nothing alive ends the sweep
        # The leader (a reaper, a namespace's init) stays alive meanwhile, so whatever is
        # orphaned by these kills is reparented to it and found by the next scan.
        procs = [p for p in found if p.pid not in killed and _running(p)] or found
        described += [_describe(p) for p in procs if p.pid not in killed]
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        killed += [p.pid for p in procs if p.pid not in killed]
        _wait_gone(procs, 1.0)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    return killed, described


def _wait_gone(procs: list[psutil.Process], timeout: float) -> None:
    """Wait until none is running. A zombie counts as gone: its parent (or init, which may be
    slow to reap in containers) owns it now, and it can no longer do anything."""
    deadline = time.monotonic() + timeout
    while procs and time.monotonic() < deadline:
        procs = [p for p in procs if _running(p)]
        if procs:
            time.sleep(0.01)


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def run_process(
    argv: Sequence[str],
    env: Mapping[str, str] | None,
    cwd: str | None,
    timeout: float,
    stdin: bytes | None = None,
    hold_stdin: bool = False,
    idle_timeout: float | None = None,
    user: RunAs | None = None,
    cancel: threading.Event | None = None,
) -> RunResult:
    """Run argv to completion or to the deadline; never leaves a process behind.
    With `user`, the child runs as that account (see RunAs).

    With `idle_timeout`, a child that keeps writing to stderr (a traced shell printing trace
    lines) is progressing and may run up to `timeout`; one that writes nothing there for
    `idle_timeout` seconds is stuck and is stopped then (`stalled`).

    With `hold_stdin`, the child's stdin is a pipe that stays open and silent (as under sshd or
    an editor): a `read` in a startup file then waits, as it would there, until the deadline.
    At the deadline the group first gets SIGHUP (shells flush their trace and exit on it), then,
    a moment later, SIGKILL.

    With `cancel`, setting the event stops the child the same way at once (`cancelled`): the
    caller learnt meanwhile that waiting longer is pointless (a runaway recursion).
    """
    token = uuid.uuid4().hex
    child_env = dict(os.environ if env is None else env)
    child_env[RUN_TOKEN_VAR] = token
    start = time.monotonic()
    if _STOP.is_set():
        return RunResult(tuple(argv), None, b"", b"", 0.0, error="cancelled: goenv-tui is stopping")
    why = _startable(argv[0], child_env) if argv else "empty command"
    if why is not None:
        return RunResult(tuple(argv), None, b"", b"", 0.0, error=f"cannot start {argv[0] if argv else ''}: {why}")
    kind, prefix = containment(user=user)
    if kind == "pidns":
        child_env[NS_PID_VAR] = _next_ns_pid()
    if user is not None:
        cwd = user.start_dir(cwd)
    zygote = _Zygote.get() if kind == "reaper" and user is None and _forced() != "reaper-exec" else None
    try:
        proc: _Child
        if zygote is not None:
            try:
                proc = zygote.spawn(argv, child_env, cwd, stdin is not None or hold_stdin)
            except OSError:
                zygote = None  # it died meanwhile: this program gets a reaper of its own
        if zygote is None:
            proc = subprocess.Popen(
            [*prefix, *argv],
            **popen_user(kind, user),
            stdin=subprocess.PIPE if stdin is not None or hold_stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
            )
    except OSError as exc:
        return RunResult(tuple(argv), None, b"", b"", 0.0, error=f"cannot start {argv[0]}: {exc.strerror or exc}")
    born = birth_mark(proc.pid)
    register(proc.pid, token, born)
    if _STOP.is_set():  # stop_all() ran between the check above and the registration
        kill_leftovers(proc.pid, token, born)
    try:
        return _supervise(proc, argv, token, born, start, timeout, stdin, hold_stdin, idle_timeout, cancel,
                          contained=kind in ("pidns", "reaper"))
    finally:
        unregister(proc.pid)


def _supervise(proc: _Child, argv: Sequence[str], token: str, born: float, start: float,
               timeout: float, stdin: bytes | None, hold_stdin: bool, idle_timeout: float | None,
               cancel: threading.Event | None = None, contained: bool = False) -> RunResult:
    out: dict[str, list[bytes]] = {"stdout": [], "stderr": []}
    sizes = {"stdout": 0, "stderr": 0}
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None and proc.stderr is not None
    for name, pipe in (("stdout", proc.stdout), ("stderr", proc.stderr)):
        os.set_blocking(pipe.fileno(), False)
        sel.register(pipe, selectors.EVENT_READ, name)
    pending_in = memoryview(stdin) if stdin is not None else None
    if proc.stdin is not None:
        os.set_blocking(proc.stdin.fileno(), False)
        if pending_in is not None and len(pending_in):
            sel.register(proc.stdin, selectors.EVENT_WRITE, "stdin")
        elif not hold_stdin:
            proc.stdin.close()

    deadline = start + timeout
    exit_by: float | None = None
    timed_out = False
    stalled = False
    cancelled = False
    last_err = start  # when stderr last said something
    hung: list[str] = []
    reading = {"stdout", "stderr"}
    busy = False  # the last select read something: more is probably on its way
    while True:
        now = time.monotonic()
        # Both pipes closed: still wait for the child itself, up to the deadline.
        if not reading and (proc.poll() is not None or timed_out):
            break
        idle = idle_timeout is not None and now - last_err >= idle_timeout
        stop = cancel is not None and cancel.is_set()
        if (now >= deadline or idle or stop) and proc.poll() is None and not timed_out:
            timed_out = True
            cancelled = stop and not idle and now < deadline
            stalled = idle and now < deadline
            hung = [d for p in _leftovers(proc.pid, token, born) if p.pid != proc.pid
                    for d in [_describe(p)] if "goenv-tui-init" not in d]
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGHUP)
            exit_by = now + 0.3
            continue
        if exit_by is not None and now >= exit_by:
            break
        wait = (exit_by if exit_by is not None else deadline) - now
        if idle_timeout is not None and exit_by is None:
            wait = min(wait, last_err + idle_timeout - now)
        if not sel.get_map():
            # Pipes are closed; block on the child itself (Popen.wait polls with backoff).
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.0, min(wait, 0.05)))
        if busy and exit_by is None:
            # A traced shell writes a trace line at a time: reading each as it comes woke this
            # thread ~1 000 times per interactive zsh (its own CPU, and the GIL the other
            # contexts' threads wait for). Letting the pipe fill for a moment reads the same
            # bytes in a few dozen reads; the pipe's 64 KiB hold far more than a shell writes in it.
            time.sleep(_BATCH_S)
        busy = False
        for key, _ in (sel.select(timeout=max(0.0, min(wait, 0.05))) if sel.get_map() else []):
            if key.data == "stdin":
                assert pending_in is not None and proc.stdin is not None
                try:
                    n = os.write(proc.stdin.fileno(), pending_in[:65536])
                    pending_in = pending_in[n:]
                except (BrokenPipeError, OSError):
                    pending_in = pending_in[:0]
                if not len(pending_in):
                    sel.unregister(proc.stdin)
                    proc.stdin.close()
                continue
            try:
                chunk = os.read(key.fd, 65536)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                sel.unregister(key.fileobj)
                reading.discard(key.data)
                continue
            if key.data == "stderr":
                last_err = time.monotonic()
            if sizes[key.data] < _MAX_OUTPUT:
                out[key.data].append(chunk)
                sizes[key.data] += len(chunk)
            busy = True
        if exit_by is None and proc.poll() is not None:
            exit_by = time.monotonic() + _EXIT_GRACE_S

    killed: list[int] = []
    described: list[str] = []
    if not (contained and not timed_out and proc.poll() is not None):
        killed, described = kill_leftovers(proc.pid, token, born)
    # else: nothing can be left. In its own PID namespace: `unshare` exits only after the
    # namespace's init, whose exit kills and reaps everything left in the namespace. Below the
    # reaper: it exits only once it has killed every process below it, orphans included (they
    # are reparented to it). A scan of every process on the machine per traced shell was most of
    # a fast context's cost.
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    # Drain what is left in the pipes now that every writer is gone.
    for key in list(sel.get_map().values()):
        if key.data == "stdin":
            continue
        with contextlib.suppress(OSError):
            while True:
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    break
                if sizes[key.data] < _MAX_OUTPUT:
                    out[key.data].append(chunk)
                    sizes[key.data] += len(chunk)
    sel.close()
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    try:
        returncode = proc.wait(timeout=2.0)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL was sent above
        proc.kill()
        returncode = proc.wait()
    duration = (time.monotonic() - start) * 1000
    error = None
    if timed_out and cancelled:
        error = "stopped early"
    elif timed_out and stalled:
        error = f"no progress for {idle_timeout:g}s"
        if hung or described:
            error += "; still running: " + ", ".join((hung or described)[:5])
    elif timed_out:
        error = f"timed out after {timeout:g}s"
        if hung or described:
            error += "; still running: " + ", ".join((hung or described)[:5])
    return RunResult(
        hung=tuple(hung),
        stalled=stalled,
        cancelled=cancelled,
        argv=tuple(argv),
        returncode=None if timed_out else returncode,
        stdout=b"".join(out["stdout"]),
        stderr=b"".join(out["stderr"]),
        duration_ms=duration,
        timed_out=timed_out,
        killed=tuple(killed),
        error=error,
    )
