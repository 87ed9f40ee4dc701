"""The intermediate reaper between goenv-tui and a traced program, when no PID namespace is available.

Run as `python3 -S -E reaper.py [--as UID:GID:G1,G2] -- PROGRAM ARGS…` (no site, no imports from goenv_tui: it must start
fast and depend on nothing). It marks itself a child subreaper, so every process its program
leaves behind (a `setsid env -i sleep &` daemon included) is reparented to it instead of to
init; it ignores SIGTERM, SIGINT and SIGHUP, so `kill $PPID` in a startup file hits it rather
than goenv-tui; when the program exits it kills every remaining descendant and exits with the
program's status. Killed itself (SIGKILL at the deadline), its descendants are swept by ancestry
first (goenv_tui.host.process.kill_leftovers does that before it kills the group).
"""

import os
import sys

TYPE_CHECKING = False  # typing's import alone costs milliseconds here

# One reaper starts per traced shell, and its start-up was most of its cost: `signal` (enum),
# `contextlib` (collections) and `ctypes` took ~9 ms of CPU to import, a bare start ~6 ms. The
# C modules underneath do the same work without those imports.
if TYPE_CHECKING:
    import signal
    import socket
    from collections.abc import Iterator
else:
    try:
        import _signal as signal
    except ImportError:  # an interpreter without the C module
        import signal


def _set_child_subreaper() -> None:
    """prctl(PR_SET_CHILD_SUBREAPER, 1) through _ctypes (ctypes' own import costs ~5 ms)."""
    try:
        import _ctypes

        class _Int(_ctypes._SimpleCData):  # type: ignore[type-arg]
            _type_ = "i"

        class _Fn(_ctypes.CFuncPtr):
            _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
            _restype_ = _Int

        class _Libc:
            _handle = _ctypes.dlopen(None)  # type: ignore[arg-type]

        _Fn(("prctl", _Libc()))(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - an interpreter whose _ctypes differs: the public module
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)

PR_SET_CHILD_SUBREAPER = 36
CAUGHT = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
# What the program starts with: every signal at its default, as a shell a terminal starts has
# them. Not only CAUGHT: Python ignores SIGPIPE and SIGXFSZ at start-up, and an ignored signal is
# inherited across exec, so programs under a reaper ran with SIGPIPE ignored (`yes | head -1` in
# a startup file then ends with "Broken pipe" errors instead of quietly, unlike the real start).
DEFAULTS = tuple(s for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP))


def _children(pid: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            out.append(int(name))
    return out


def _kill(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            continue  # gone meanwhile


def _ended() -> "Iterator[tuple[int, int]]":
    """(pid, wait status) of each child that has ended, reaped, without waiting for any other."""
    while True:
        try:
            pid, st = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        yield pid, st


def _sweep() -> None:
    """Kill what is left below us until nothing is: orphans keep arriving as their parents die."""
    me = os.getpid()
    for _ in range(50):
        # No child at all (the usual end: the program left nothing behind) needs no scan of every
        # process on the machine (~1 ms per hundred processes, once per traced shell).
        try:
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        kids = _children(me)
        if not kids:
            return
        _kill(kids)
        for _ in _ended():
            pass


def _spawn(argv: list[str], account: tuple[int, int, list[int]] | None) -> int:
    """Start the program with default signal handling, as `account` (uid, gid, groups) if given:
    the reaper stays root (only it can sweep), the program gets no privilege at all."""
    if account is None:
        return os.posix_spawnp(argv[0], argv, os.environ, setsigdef=DEFAULTS)
    pid = os.fork()
    if pid == 0:
        try:
            for sig in DEFAULTS:
                try:
                    signal.signal(sig, signal.SIG_DFL)
                except (OSError, ValueError):  # glibc's own real-time signals
                    continue
            uid, gid, groups = account
            os.setgroups(groups)
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)  # from root to a user: every capability is dropped
            os.execvp(argv[0], argv)
        except OSError as exc:
            os.write(2, f"goenv-tui reaper: cannot start {argv[0]}: {exc.strerror or exc}\n".encode())
        os._exit(127)
    return pid


def main(argv: list[str]) -> int:
    account = None
    if argv[:1] == ["--as"]:
        uid, gid, groups = argv[1].split(":")
        account = (int(uid), int(gid), [int(g) for g in groups.split(",") if g])
        argv = argv[2:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    _set_child_subreaper()
    for sig in CAUGHT:
        signal.signal(sig, signal.SIG_IGN)
    try:
        child = _spawn(argv, account)
    except OSError as exc:
        print(f"goenv-tui reaper: cannot start {argv[0]}: {exc.strerror or exc}", file=sys.stderr)
        return 127
    status = 0
    while True:
        try:
            pid, st = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid == child:
            status = os.waitstatus_to_exitcode(st)
            break
    _sweep()
    if status < 0:  # killed by a signal: die the same way, as the program did
        if -status not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    return status


def zygote(fd: int) -> int:
    """`--zygote FD`: serve reapers for one goenv-tui process over the SOCK_SEQPACKET socket FD.

    Starting a Python reaper per traced shell cost ~10 ms of CPU each (an interpreter's start);
    forking one from this already-started process costs well under one. Each request carries
    the program's argv, environment and folder, with its stdin, stdout and stderr as passed file
    descriptors; the fork becomes that program's reaper exactly as `main` is one (its own session,
    a child subreaper, signals ignored, the program started with default signals, everything it
    leaves swept when it exits, its status passed on). This process answers `P id pid` once the
    fork exists and `X pid code` when it ended (`code` as Popen's returncode). It is itself a
    subreaper, so what a reaper killed at a deadline leaves comes here and is swept; it kills
    every reaper and exits when goenv-tui's end of the socket closes (goenv-tui exited)."""
    import contextlib
    import select
    import signal as full_signal  # set_wakeup_fd and SIGCHLD handling
    import socket

    sock = socket.socket(fileno=fd)
    _set_child_subreaper()
    for sig in CAUGHT:
        full_signal.signal(sig, full_signal.SIG_IGN)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    os.set_blocking(wake_r, False)
    full_signal.set_wakeup_fd(wake_w)
    full_signal.signal(full_signal.SIGCHLD, lambda *_: None)
    reapers: set[int] = set()
    while True:
        try:
            ready, _, _ = select.select([sock.fileno(), wake_r], [], [])
        except InterruptedError:
            continue
        if wake_r in ready:
            with contextlib.suppress(BlockingIOError):
                while os.read(wake_r, 4096):
                    pass
            for pid, st in _ended():
                if pid in reapers:
                    reapers.discard(pid)
                    code = os.waitstatus_to_exitcode(st)
                    if not _tell(sock, b"X %d %d" % (pid, code)):
                        return _end(reapers)
                    if code == -9:  # killed at a deadline: what it left has come here
                        _kill([stray for stray in _children(os.getpid()) if stray not in reapers])
        if sock.fileno() in ready:
            try:
                msg, fds, _, _ = socket.recv_fds(sock, 1 << 22, 3)
            except InterruptedError:
                continue
            if not msg:  # goenv-tui is gone: so is everything it started
                return _end(reapers)
            fields = msg.split(b"\0")
            req, cwd, count = fields[0], fields[1], int(fields[2])
            argv = [os.fsdecode(a) for a in fields[3:3 + count]]
            env = dict(os.fsdecode(e).split("=", 1) for e in fields[3 + count:] if b"=" in e)
            pid = os.fork()
            if pid == 0:
                code = 127
                try:
                    full_signal.set_wakeup_fd(-1)
                    full_signal.signal(full_signal.SIGCHLD, full_signal.SIG_DFL)
                    sock.close()
                    os.close(wake_r)
                    os.close(wake_w)
                    os.setsid()
                    for target, source in enumerate(fds):
                        os.dup2(source, target)
                    for source in fds:
                        if source > 2:
                            os.close(source)
                    if cwd:
                        os.chdir(os.fsdecode(cwd))
                    os.environ.clear()
                    os.environ.update(env)
                    code = main(["--", *argv])
                except BaseException as exc:  # noqa: BLE001 - never return into the serving loop
                    with contextlib.suppress(OSError):
                        os.write(2, f"goenv-tui reaper: cannot start {argv[0] if argv else ''}: {exc}\n".encode())
                os._exit(code & 0xFF if code >= 0 else 127)
            for source in fds:
                os.close(source)
            reapers.add(pid)
            if not _tell(sock, b"P %s %d" % (req, pid)):
                return _end(reapers)


def _tell(sock: "socket.socket", msg: bytes) -> bool:
    """Send `msg` to goenv-tui; False when it is gone."""
    try:
        sock.send(msg)
    except OSError:
        return False
    return True


def _end(reapers: set[int]) -> int:
    """goenv-tui is gone: so is everything it started — the reapers' groups, then whatever their
    deaths hand over to this subreaper (a setsid daemon is in no group of theirs)."""
    for pid in reapers:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            continue
    _sweep()
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--zygote"]:
        sys.exit(zygote(int(sys.argv[2])))
    sys.exit(main(sys.argv[1:]))
