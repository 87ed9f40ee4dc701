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


def _sweep() -> None:
    """Kill what is left below us until nothing is: orphans keep arriving as their parents die."""
    me = os.getpid()
    for _ in range(50):
        kids = _children(me)
        if not kids:
            return
        for pid in kids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                continue  # gone meanwhile
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break


def _spawn(argv: list[str], account: tuple[int, int, list[int]] | None) -> int:
    """Start the program with default signal handling, as `account` (uid, gid, groups) if given:
    the reaper stays root (only it can sweep), the program gets no privilege at all."""
    if account is None:
        return os.posix_spawnp(argv[0], argv, os.environ, setsigdef=CAUGHT)
    pid = os.fork()
    if pid == 0:
        try:
            for sig in CAUGHT:
                signal.signal(sig, signal.SIG_DFL)
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
