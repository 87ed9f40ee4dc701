"""The Host for a remote machine, through the user's own OpenSSH client.

One multiplexed connection carries everything: the user's ssh config, agent, ProxyJump and
known_hosts apply as they do for `ssh` itself. When the user's own ssh config keeps a
ControlMaster for the host and it is up (`ssh -O check`), the agent runs through it as a session
of that master: no new login at all, and the master is left exactly as it was (never stopped,
never made to persist). Otherwise our own ControlMaster, on a private socket and never
persisting, is the ssh process that also runs a small Python agent on the remote side, so the
agent starts with the connection; its first line says who and where it runs. ssh asks its questions (a new host
key, a password, a passphrase) through SSH_ASKPASS, whose helper hands them to the caller (the
CLI asks on the terminal). File operations go through the agent over that one channel; commands
run through the master with a remote `timeout` so a hang is killed there too. If the connection
drops, every later call fails fast with a clear "connection … lost" and the diagnosis ends with
what it collected.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from goenv_tui.host import agent
from goenv_tui.host.base import ConnectionLost, FileInfo, Host, HostError, RunResult

Json = dict[str, Any]  # an agent message, as json.loads gives it

Ask = Callable[[str, bool], str]  # (prompt, secret) → answer

# The SSH_ASKPASS helper: sends ssh's prompt (argv[1]) to the SSHHost, prints the answer; no
# answer (the prompt cannot be answered) makes it fail, and ssh gives up.
ASKPASS = """#!{python}
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect({sock})
s.sendall((sys.argv[1] if len(sys.argv) > 1 else "").encode() + b"\\0")
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
if not data.startswith(b"\\x06"):
    sys.exit(1)
sys.stdout.write(data[1:].decode() + "\\n")
"""


# Which python runs the agent: on Linux the system's /usr/bin/python3 when there is one, else the
# python3 on the login shell's PATH. A PATH python3 is often a version manager's shim (pyenv,
# asdf, mise: a shell script that starts the manager to pick a version), which costs 0.3–0.6 s
# per connection on this build machine against ~0.04 s; the agent needs only the standard
# library of any python ≥ 3.7. (Not on macOS, whose /usr/bin/python3 may be the stub that
# asks to install the command line tools.) The program is passed on as an argument too, so a
# system python too old to run the agent (3.6 on an old distribution) hands over to the PATH
# python3 (see _BOOT); exec all the way: the agent stays the process sshd's shell started.
_PICK_PYTHON = ('if [ -e /proc/self ] && [ -x /usr/bin/python3 ]; then exec /usr/bin/python3 -S -u -c "$0" "$0"; fi; '
                'exec python3 -S -u -c "$0" "$0" path')
# Runs on any python 3: an old system python re-executes the PATH python3 (once: "path" marks it).
_BOOT = ('import os,sys;sys.version_info<(3,7) and len(sys.argv)<3 and '
         'os.execvp("python3",["python3","-S","-u","-c",sys.argv[1],sys.argv[1],"path"]);')


def agent_command() -> str:
    """The remote command that runs host/agent.py: its source, compressed, in base64, which
    crosses every login shell's quoting (sh, bash, zsh, fish) unchanged, started by `sh` with
    the python _PICK_PYTHON picks. `-S`: the agent needs only the standard library, so the
    remote python's site-packages and their .pth hooks are not loaded (faster to start, and
    nothing installed there can change what the agent does)."""
    packed = base64.b64encode(zlib.compress(agent.source().encode(), 9)).decode()
    program = _BOOT + f'import base64,zlib;exec(zlib.decompress(base64.b64decode("{packed}")))'
    return f"sh -c {shlex.quote(_PICK_PYTHON)} {shlex.quote(program)}"


class SSHHost(Host):
    remote = True

    def __init__(self, target: str, ssh_options: Sequence[str] = (), ask: Ask | None = None,
                 connect_timeout: float = 30.0) -> None:
        self.target = target
        self.options = list(ssh_options)
        self.ask = ask
        self.lost: str | None = None
        self._dir = tempfile.mkdtemp(prefix="goenv-ssh-")
        self.control = os.path.join(self._dir, "cm")
        self._master: subprocess.Popen[bytes] | None = None  # the ssh that is master and agent
        self._agent: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        # Answers to lookups (stat, lstat, realpath, which), valid for one diagnosis: a diagnosis
        # asks about the same paths from many contexts; writes and invalidate() clear it.
        self._cache: dict[tuple[str | None, ...], Json] = {}
        self._pending: dict[int, tuple[threading.Event, list[Json]]] = {}
        self._next = 0
        self._ready: Json = {}
        # The user's own running master, when their ssh config keeps one for this host (its pid as
        # `ssh -O check` says it): the connection is theirs, ours is one session of it.
        self.user_master: int | None = None
        self._connect(connect_timeout)
        # The agent says who and where it is in its first line (no round trip for it).
        info = self._ready.get("info") or self._call("info")
        self.name: str = info["hostname"]
        self._system: str = info["system"].lower()
        self._machine: str = info["machine"].lower()
        self._euid = int(info["euid"])
        self._home: str = info["home"]
        self._shell: str | None = info["shell"]
        self._environ: dict[str, str] = dict(info["environ"])
        has = info.get("has_timeout")
        self._has_timeout = has if has is not None else self.which("timeout", "/usr/bin:/bin:/usr/local/bin") is not None

    # connection ----------------------------------------------------------------------------
    def _ssh(self, *extra: str) -> list[str]:
        # Through the user's master (their ControlPath, from their config) or through ours; never
        # a new master either way (our options come first: ssh keeps the first value it is given).
        via = [] if self.user_master is not None else ["-S", self.control]
        return ["ssh", *via, "-o", "ControlMaster=no", "-o", "BatchMode=yes", *self.options, *extra]

    def _running_user_master(self) -> int | None:
        """The pid of the user's own ControlMaster for this target, if their ssh config names a
        ControlPath and a master answers there now (`ssh -O check`: no connection is made; it
        exits at once, non-zero, when no ControlPath is configured or nothing listens there)."""
        try:
            res = subprocess.run(["ssh", "-o", "BatchMode=yes", *self.options, "-O", "check", self.target],
                                 stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        found = re.search(rb"Master running \(pid=(\d+)\)", res.stderr)
        return int(found.group(1)) if res.returncode == 0 and found else None

    def _connect(self, timeout: float) -> None:
        """One ssh process runs the agent: a session of the user's own running master when their
        config keeps one (no login at all), else our own ControlMaster, which then runs the agent
        too, so the agent starts with the connection (no second channel to wait for, no polling
        for the master). ssh has no terminal here, so it asks its questions (host key, password,
        passphrase) through SSH_ASKPASS: a tiny helper that hands each prompt to `self.ask` over
        a private socket."""
        self._askpass_error: str | None = None
        env = dict(os.environ)
        env.update(self._askpass_env())
        self.user_master = self._running_user_master()
        if self.user_master is not None:
            # A client of their master: ControlMaster=no so that, should the master have ended since
            # the check, ssh logs in by itself (a plain connection that ends with the agent) and
            # never becomes a master that could outlive us; the master is never told to stop.
            mode = ["-o", "ControlMaster=no", "-o", "ControlPersist=no"]
        else:
            mode = ["-M", "-S", self.control, "-o", "ControlPersist=no", "-o", "ServerAliveInterval=15"]
        argv = ["ssh", *mode, "-T", *self.options, self.target, agent_command()]
        self._agent = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       env=env, start_new_session=True)
        self._master = self._agent
        first: list[bytes] = []
        reader = threading.Thread(target=lambda: first.append(self._agent.stdout.readline()),  # type: ignore[union-attr]
                                  name="ssh-connect", daemon=True)
        reader.start()
        reader.join(timeout)
        line = first[0] if first else b""
        if line.startswith(b'{"ready"'):
            self._ready = json.loads(line)
            threading.Thread(target=self._read_answers, name="ssh-agent-reader", daemon=True).start()
            return
        if not first:
            self.close()
            # sshd runs every command through the login shell, and bash reads ~/.bashrc for it:
            # a startup file that waits (a `read`, a FIFO as ~/.bashrc) hangs each `ssh host cmd`.
            raise HostError(f"cannot connect to {self.target}: no answer within {timeout:g}s (`ssh host cmd` runs "
                            "the login shell's startup files first, ~/.bashrc for bash: one that waits for input or "
                            "is a FIFO hangs every such command; try `ssh HOST true`)")
        try:
            self._agent.wait(timeout=5)
            err = (self._agent.stderr.read(4000) if self._agent.stderr else b"").decode(errors="replace")
        except subprocess.TimeoutExpired:
            err = ""
        self.close()
        lines = [ln for ln in err.strip().splitlines() if ln.strip()]
        if self._askpass_error:
            raise HostError(self._askpass_error)
        if any("python3" in ln and "not found" in ln for ln in lines):
            raise HostError(f"cannot start the file agent on {self.target} (the remote host needs python3): {lines[-1]}")
        raise HostError(f"cannot connect to {self.target}: {lines[-1] if lines else 'ssh exited'}")

    def _askpass_env(self) -> dict[str, str]:
        """SSH_ASKPASS pointing at a helper that asks `self.ask` (through a socket only we can open)."""
        import socket

        path = os.path.join(self._dir, "ask.sock")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen(4)
        self._ask_server = server
        helper = os.path.join(self._dir, "askpass")
        with open(helper, "w", encoding="utf-8") as fh:
            fh.write(ASKPASS.format(python=shlex.quote(sys.executable), sock=repr(path)))
        os.chmod(helper, 0o700)
        threading.Thread(target=self._answer_prompts, name="ssh-askpass", daemon=True).start()
        return {"SSH_ASKPASS": helper, "SSH_ASKPASS_REQUIRE": "force"}

    def _answer_prompts(self) -> None:
        server = self._ask_server
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return  # closed
            with conn:
                data = b""
                while not data.endswith(b"\0"):
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                prompt = data.rstrip(b"\0").decode(errors="replace").strip()
                confirm = "(yes/no" in prompt
                if self.ask is None:
                    self._askpass_error = (f"ssh {self.target} asks: {prompt!r}; "
                                           f"run `ssh {self.target}` once to answer it")
                    continue  # no answer: the helper fails, ssh gives up
                try:
                    answer = self.ask(prompt, not confirm)
                except Exception as exc:  # noqa: BLE001 - any failure to answer is a refusal
                    self._askpass_error = str(exc) or f"ssh {self.target} asks: {prompt!r}"
                    continue
                conn.sendall(b"\x06" + answer.encode())

    def _read_answers(self) -> None:
        """Reader thread: hand each answer to the call waiting for its id."""
        agent = self._agent
        assert agent is not None and agent.stdout is not None
        for line in iter(agent.stdout.readline, b""):
            try:
                res = json.loads(line)
            except ValueError:
                continue
            slot = self._pending.get(res.get("id"))
            if slot is not None:
                slot[1].append(res)
                slot[0].set()
        self.lost = self.lost or f"connection to {self.target} lost"
        for event, _ in list(self._pending.values()):
            event.set()

    def _call(self, op: str, timeout: float = 60.0, **args: object) -> Json:
        if self.lost:
            raise ConnectionLost(self.lost)
        agent = self._agent
        if agent is None or agent.stdin is None:
            raise ConnectionLost(f"connection to {self.target} is closed")
        event = threading.Event()
        answer: list[Json] = []
        with self._lock:
            self._next += 1
            rid = self._next
            self._pending[rid] = (event, answer)
            try:
                agent.stdin.write((json.dumps({"op": op, "id": rid, **args}) + "\n").encode())
                agent.stdin.flush()
            except (BrokenPipeError, OSError):
                self.lost = f"connection to {self.target} lost"
        try:
            if not self.lost:
                event.wait(timeout)
        finally:
            self._pending.pop(rid, None)
        if not answer:
            if self.lost:
                raise ConnectionLost(self.lost)
            raise HostError(f"{self.target} did not answer {op} within {timeout:g}s")
        res = answer[0]
        if not res.get("ok"):
            raise HostError(res.get("error", "remote error"))
        result: Json = res["result"]
        return result

    def close(self) -> None:
        """End the agent (its stdin closes), which ends the session and with it our master (the
        user's own master, when the session was one of theirs, stays as it was)."""
        agent, self._agent, self._master = self._agent, None, None
        if agent is not None:
            with contextlib.suppress(OSError):
                if agent.stdin:
                    agent.stdin.close()
            try:
                agent.wait(timeout=3)
            except subprocess.TimeoutExpired:
                agent.terminate()
                try:
                    agent.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    agent.kill()
                    agent.wait()
            for stream in (agent.stdout, agent.stderr):
                with contextlib.suppress(OSError):
                    if stream:
                        stream.close()
        server = getattr(self, "_ask_server", None)
        if server is not None:
            with contextlib.suppress(OSError):
                server.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> SSHHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # processes -------------------------------------------------------------------------
    def _remote_command(self, argv: Sequence[str], env: Mapping[str, str] | None, cwd: str | None,
                        timeout: float | None) -> str:
        parts = []
        if cwd:
            parts.append(f"cd {shlex.quote(cwd)} || exit 125;")
        parts.append("exec")
        if env is not None:
            parts += ["env", "-i"] + [shlex.quote(f"{k}={v}") for k, v in env.items() if k != "GOENV_TUI_RUN_ID"]
        if timeout is not None and self._has_timeout:
            parts += ["timeout", "-k", "2", f"{timeout:g}"]
        parts += [shlex.quote(a) for a in argv]
        return " ".join(parts)

    def run(self, argv: Sequence[str], env: Mapping[str, str] | None = None, cwd: str | None = None,
            timeout: float = 10.0, stdin: bytes | None = None, hold_stdin: bool = False,
            idle_timeout: float | None = None, cancel: threading.Event | None = None) -> RunResult:
        """Run through the agent: no new SSH channel, the deadline and the group kill happen there."""
        if self.lost:
            return RunResult(tuple(argv), None, b"", b"", 0.0, error=self.lost)
        env2 = {k: v for k, v in env.items() if k != "GOENV_TUI_RUN_ID"} if env is not None else None
        key = uuid.uuid4().hex if cancel is not None else None
        done = threading.Event()
        if cancel is not None:
            threading.Thread(target=self._cancel_when, args=(cancel, done, key), daemon=True,
                             name="ssh-run-cancel").start()
        try:
            res = self._call("run", timeout=timeout + 30, argv=list(argv), env=env2, cwd=cwd, timeout_s=timeout,
                             stdin=base64.b64encode(stdin).decode() if stdin is not None else None, hold=hold_stdin,
                             idle_s=idle_timeout, key=key)
        except ConnectionLost as exc:
            return RunResult(tuple(argv), None, b"", b"", 0.0, error=str(exc))
        except HostError as exc:
            return RunResult(tuple(argv), None, b"", b"", 0.0, error=str(exc))
        finally:
            done.set()
        error = res.get("error")
        if error and res.get("timed_out"):
            error = f"{error} (on {self.name})"
        def data(key: str) -> bytes:
            raw = base64.b64decode(res.get(key) or "")
            return zlib.decompress(raw) if res.get("z") and raw else raw

        return RunResult(tuple(argv), res.get("returncode"), data("stdout"), data("stderr"),
                         float(res.get("duration_ms") or 0), bool(res.get("timed_out")), (), error,
                         stalled=bool(res.get("stalled")), cancelled=bool(res.get("cancelled")))

    def _cancel_when(self, cancel: threading.Event, done: threading.Event, key: str | None) -> None:
        """Tell the agent to stop the run `key` if `cancel` is set before the run's answer came."""
        while not done.is_set():
            if cancel.wait(0.1):
                if not done.is_set():
                    with contextlib.suppress(HostError):
                        self._call("cancel", timeout=10, key=key)
                return

    def login_command_env(self) -> dict[str, str] | None:
        """The environment sshd really gives `ssh host cmd`: the login shell run with -c, its own
        startup files, PAM's /etc/environment, ~/.ssh/environment, sshd's SetEnv — all of it.
        The agent *is* such a command (sshd started it through the login shell), so its
        environment, sent in its first line, is that answer: no second session to open (which
        would run the user's startup files once more while the shells are being traced)."""
        return dict(self._environ)

    def interactive_argv(self, argv: Sequence[str], env: Mapping[str, str] | None, cwd: str | None,
                         tty: bool = False) -> tuple[list[str], dict[str, str] | None, str | None]:
        remote = self._remote_command(argv, env, cwd, None)
        return self._ssh("-tt" if tty else "-T", self.target, remote), None, None

    # files --------------------------------------------------------------------------------
    def invalidate(self) -> None:
        """Forget cached lookups (a new diagnosis starts, or something was written)."""
        self._cache.clear()

    def _cached(self, key: tuple[str | None, ...], op: str, **args: object) -> Json:
        hit = self._cache.get(key)
        if hit is None:
            hit = self._call(op, 60.0, **args)
            self._cache[key] = hit
        return hit

    def read_bytes(self, path: str, limit: int | None = None) -> bytes:
        return base64.b64decode(self._call("read", path=path, limit=limit)["data"])

    def stat(self, path: str) -> FileInfo:
        return FileInfo(**self._cached(("stat", path), "stat", path=path))

    def lstat(self, path: str) -> FileInfo:
        return FileInfo(**self._cached(("lstat", path), "lstat", path=path))

    def listdir(self, path: str) -> list[str]:
        return list(self._call("listdir", path=path)["names"])

    def realpath(self, path: str) -> str:
        return str(self._cached(("realpath", path), "realpath", path=path)["path"])

    def prefetch(self, paths: Iterable[str], dirs: Iterable[str] = ()) -> None:
        """Answer a batch of lookups in one round trip (a diagnosis asks ~200 of them)."""
        want = [p for p in dict.fromkeys(paths) if ("lstat", p) not in self._cache]
        want_dirs = [d for d in dict.fromkeys(dirs) if ("realpath", d) not in self._cache]
        if not want and not want_dirs:
            return
        res = self._call("prefetch", paths=want, dirs=want_dirs)
        for kind in ("lstat", "stat", "realpath"):
            for path, answer in res[kind].items():
                self._cache.setdefault((kind, path), answer)

    def which(self, name: str, path: str | None = None) -> str | None:
        found: str | None = self._cached(("which", name, path), "which", name=name, path=path)["path"]
        return found

    def write_atomic(self, path: str, data: bytes, mode: int | None = None) -> None:
        self.invalidate()
        self._call("write", path=path, data=base64.b64encode(data).decode(), mode=mode)

    def make_temp_dir(self, prefix: str) -> str:
        return str(self._call("mkdtemp", prefix=prefix)["path"])

    def remove_tree(self, path: str) -> None:
        self.invalidate()
        self._call("remove_tree", path=path)

    def makedirs(self, path: str) -> None:
        self.invalidate()
        self._call("makedirs", path=path)

    def remove_file(self, path: str) -> None:
        self.invalidate()
        self._call("remove_file", path=path)

    def file_contains(self, path: str, needles: list[str]) -> set[str]:
        """Which of these strings occur in a (binary) file, asked without transferring it."""
        return set(self._call("contains", path=path, needles=needles)["found"])

    def binary_sample(self, path: str, magic: bytes, limit: int) -> bytes:
        """The parts of a binary that tell what it is (header and Go build info), not all of it."""
        res = self._call("binhead", path=path, magic=base64.b64encode(magic).decode())
        head = base64.b64decode(res["head"])
        at = int(res["at"])
        if at < 0:
            return head
        return head.ljust(at, b"\0")[:at] + base64.b64decode(res["block"])

    # machine facts ----------------------------------------------------------------------
    def os_name(self) -> str:
        return self._system if self._system in ("linux", "darwin") else "other"

    def arch(self) -> str:
        return {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64", "i686": "386"}.get(self._machine, self._machine)

    def euid(self) -> int:
        return self._euid

    def home(self) -> str:
        return self._home

    def login_shell(self) -> str | None:
        return self._shell or None

    def environ(self) -> dict[str, str]:
        return dict(self._environ)
