"""The remote file agent (goenv_tui/host/agent.py), run here as a local subprocess exactly the way
ssh runs it on the remote side: `python3 -u -c <the command SSHHost sends>`, spoken to in JSON
lines. No sshd needed: what is tested is the program, and the source it is shipped as."""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from goenv_tui.host import LocalHost, agent
from goenv_tui.host.ssh import agent_command


class Agent:
    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.next = 0
        assert proc.stdout is not None
        self.ready = json.loads(proc.stdout.readline())

    def ask(self, op: str, **args: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.next += 1
        self.proc.stdin.write((json.dumps({"op": op, "id": self.next, **args}) + "\n").encode())
        self.proc.stdin.flush()
        res: dict[str, Any] = json.loads(self.proc.stdout.readline())
        assert res["id"] == self.next
        return res


@pytest.fixture
def remote_agent() -> Iterator[Agent]:
    # The exact remote command, run by a POSIX shell as sshd runs it through the login shell.
    proc = subprocess.Popen(["/bin/sh", "-c", agent_command()], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        yield Agent(proc)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_shipped_source_is_this_module() -> None:
    """What runs remotely is the module that is linted, type-checked and imported here."""
    command = agent_command()
    assert command.startswith("sh -c ")
    packed = re.search(r'b64decode\("([^"]+)"\)', shlex.split(command)[-1]).group(1)  # type: ignore[union-attr]
    assert zlib.decompress(base64.b64decode(packed)).decode() == Path(agent.__file__).read_text()
    # Only the standard library: the remote side has no goenv_tui.
    assert "goenv_tui" not in "".join(line for line in agent.source().splitlines() if line.startswith(("import", "from")))


def test_agent_starts_and_reports_the_host(remote_agent: Agent) -> None:
    ready = remote_agent.ready
    assert ready["ready"] is True
    info = ready["info"]
    assert info["euid"] == os.geteuid() and info["home"] == os.path.expanduser("~")
    assert info["hostname"] and info["system"] == "Linux"
    assert info["environ"]["PATH"] == os.environ["PATH"]


def test_file_operations_answer_like_the_local_host(remote_agent: Agent, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"hello\n")
    os.symlink("a.txt", tmp_path / "link")
    local = LocalHost()
    for op, path in (("stat", "link"), ("lstat", "link"), ("stat", "missing")):
        res = remote_agent.ask(op, path=str(tmp_path / path))
        want = getattr(local, op)(str(tmp_path / path))
        assert res["ok"]
        got = res["result"]
        assert (got["exists"], got.get("is_symlink", False), got.get("size", 0), got.get("link_target")) == (
            want.exists, want.is_symlink, want.size, want.link_target)
    assert base64.b64decode(remote_agent.ask("read", path=str(tmp_path / "a.txt"))["result"]["data"]) == b"hello\n"
    assert base64.b64decode(remote_agent.ask("read", path=str(tmp_path / "a.txt"), limit=2)["result"]["data"]) == b"he"
    assert remote_agent.ask("listdir", path=str(tmp_path))["result"]["names"] == ["a.txt", "link"]
    assert remote_agent.ask("realpath", path=str(tmp_path / "link"))["result"]["path"] == str(tmp_path / "a.txt")
    assert remote_agent.ask("contains", path=str(tmp_path / "a.txt"), needles=["ell", "xyz"])["result"]["found"] == ["ell"]
    missing = remote_agent.ask("read", path=str(tmp_path / "missing"))
    assert not missing["ok"] and missing["error"] == f"{tmp_path / 'missing'}: No such file or directory"
    assert remote_agent.ask("nonsense")["error"] == "unknown op nonsense"


def test_a_fifo_is_refused_not_opened(remote_agent: Agent, tmp_path: Path) -> None:
    """Reading a FIFO would block the agent's thread forever: refused at once, saying what it is."""
    os.mkfifo(tmp_path / "pipe")
    t = time.monotonic()
    res = remote_agent.ask("read", path=str(tmp_path / "pipe"))
    assert time.monotonic() - t < 5
    assert res == {"ok": False, "error": f"{tmp_path / 'pipe'}: a FIFO (named pipe), not a regular file; not read",
                   "id": res["id"]}


def test_write_keeps_mode_and_leaves_no_temp_file(remote_agent: Agent, tmp_path: Path) -> None:
    target = tmp_path / "rc"
    target.write_text("old\n")
    target.chmod(0o640)
    res = remote_agent.ask("write", path=str(target), data=base64.b64encode(b"new\n").decode(), mode=None)
    assert res["ok"], res
    assert target.read_bytes() == b"new\n" and target.stat().st_mode & 0o777 == 0o640
    assert sorted(os.listdir(tmp_path)) == ["rc"]
    # A failed write (no such folder) says why and leaves nothing behind.
    res = remote_agent.ask("write", path=str(tmp_path / "nodir" / "x"), data="", mode=None)
    assert not res["ok"] and "No such file or directory" in res["error"]


def test_run_returns_output_and_kills_the_group_at_the_deadline(remote_agent: Agent, tmp_path: Path) -> None:
    res = remote_agent.ask("run", argv=["/bin/sh", "-c", "echo out; echo err >&2; exit 3"], env={"PATH": "/usr/bin:/bin"},
                           cwd=str(tmp_path), timeout_s=10, stdin=None)["result"]
    assert res["returncode"] == 3 and not res["timed_out"] and res["z"]
    assert zlib.decompress(base64.b64decode(res["stdout"])) == b"out\n"
    assert zlib.decompress(base64.b64decode(res["stderr"])) == b"err\n"
    # A child that forks a sleeper and hangs: killed with its group at the deadline.
    marker = tmp_path / "pidfile"
    res = remote_agent.ask("run", argv=["/bin/sh", "-c", f"sleep 60 & echo $! > {marker}; sleep 60"],
                           env={"PATH": "/usr/bin:/bin"}, cwd=None, timeout_s=0.5, stdin=None)["result"]
    assert res["timed_out"] and res["returncode"] is None and res["error"] == "timed out after 0.5s"
    pid = int(marker.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    assert not _alive(pid), "the forked sleeper outlived the deadline"
    # One that ignores the hangup is killed all the same.
    t = time.monotonic()
    res = remote_agent.ask("run", argv=["/bin/sh", "-c", "trap '' HUP; sleep 60"], env={"PATH": "/usr/bin:/bin"},
                           cwd=None, timeout_s=0.5, stdin=None)["result"]
    assert res["timed_out"] and time.monotonic() - t < 5
    res = remote_agent.ask("run", argv=["/nonexistent/prog"], env=None, cwd=None, timeout_s=5, stdin=None)["result"]
    assert res["returncode"] is None and res["error"].startswith("cannot start /nonexistent/prog")


def test_requests_are_answered_concurrently(remote_agent: Agent) -> None:
    """A slow run does not hold up a lookup sent after it (answers come tagged with their id)."""
    proc = remote_agent.proc
    assert proc.stdin is not None and proc.stdout is not None
    slow = {"op": "run", "id": 100, "argv": ["/bin/sleep", "1"], "env": None, "cwd": None, "timeout_s": 10, "stdin": None}
    quick = {"op": "realpath", "id": 101, "path": "/"}
    proc.stdin.write((json.dumps(slow) + "\n" + json.dumps(quick) + "\n").encode())
    proc.stdin.flush()
    first = json.loads(proc.stdout.readline())
    second = json.loads(proc.stdout.readline())
    assert (first["id"], second["id"]) == (101, 100)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_local_host_shares_the_agents_write_and_refusals(tmp_path: Path) -> None:
    """LocalHost writes and refuses with the agent's own functions (one implementation)."""
    os.mkfifo(tmp_path / "pipe")
    from goenv_tui.host import HostError

    with pytest.raises(HostError, match="a FIFO \\(named pipe\\), not a regular file; not read"):
        LocalHost().read_bytes(str(tmp_path / "pipe"))
    LocalHost().write_atomic(str(tmp_path / "f"), b"x", 0o600)
    assert (tmp_path / "f").stat().st_mode & 0o777 == 0o600 and sorted(os.listdir(tmp_path)) == ["f", "pipe"]
    assert sys.modules["goenv_tui.host.local"].write_atomic is agent.write_atomic


def _send(agent: Agent, op: str, rid: int, **args: Any) -> None:
    assert agent.proc.stdin is not None
    agent.proc.stdin.write((json.dumps({"op": op, "id": rid, **args}) + "\n").encode())
    agent.proc.stdin.flush()


def _sleeps(mark: str) -> list[int]:
    import psutil

    out = []
    for p in psutil.process_iter(["cmdline"]):
        try:
            if (p.info["cmdline"] or [])[-1:] == [mark] and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p.pid)
        except (psutil.Error, IndexError):
            continue
    return out


def test_a_run_can_be_cancelled_and_its_setsid_orphans_are_swept(remote_agent: Agent) -> None:
    """`cancel` stops a run before its deadline; what it started with `setsid` (out of its group,
    reparented to the agent, a subreaper) is killed as soon as no run is left."""
    import uuid

    mark = f"{6000 + uuid.uuid4().int % 10**6}.5"
    script = f"setsid /bin/sleep {mark} </dev/null >/dev/null 2>&1 & while :; do echo x >&2; sleep 0.05; done"
    t = time.monotonic()
    _send(remote_agent, "run", 1, argv=["/bin/sh", "-c", script], env={"PATH": "/usr/bin:/bin"}, cwd=None,
          timeout_s=60, idle_s=30, key="k1")
    deadline = time.monotonic() + 10
    while not _sleeps(mark) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _sleeps(mark), "the daemon never started"
    _send(remote_agent, "cancel", 2, key="k1")
    assert remote_agent.proc.stdout is not None
    answers = {a["id"]: a for a in (json.loads(remote_agent.proc.stdout.readline()) for _ in range(2))}
    assert time.monotonic() - t < 20
    assert answers[2]["result"] == {"found": True}
    run = answers[1]["result"]
    assert run["timed_out"] and run["cancelled"] and not run["stalled"] and run["error"] == "stopped early"
    left = _sleeps(mark)
    for pid in left:  # never leave a stray, even when failing
        os.kill(pid, 9)
    assert left == []


def test_python_is_the_systems_on_linux_and_the_path_one_if_that_is_too_old(tmp_path: Path) -> None:
    """sh picks /usr/bin/python3 on Linux (no version manager's shim in between); one too old to
    run the agent (python 3.6) re-executes the PATH python3, once."""
    from goenv_tui.host import ssh

    probe = "import sys; print(sys.executable)"
    res = subprocess.run(["sh", "-c", ssh._PICK_PYTHON, ssh._BOOT + probe], capture_output=True, text=True,
                         timeout=30, check=True)
    assert res.stdout.strip() == "/usr/bin/python3"
    # The same start with the version test answering "too old": it hands over to the PATH python3
    # (here a stand-in printing its arguments), marked so that one runs the agent whatever it is.
    fake = tmp_path / "python3"
    fake.write_text('#!/bin/sh\necho "PATH python3 given $# arguments, the last: $6"\n')
    fake.chmod(0o755)
    old = ssh._BOOT.replace("sys.version_info<(3,7)", "True")
    res = subprocess.run([sys.executable, "-c", old + "print('agent')", old + "print('agent')"], capture_output=True,
                         text=True, timeout=30, env={"PATH": f"{tmp_path}:/usr/bin:/bin"})
    assert res.stdout == "PATH python3 given 6 arguments, the last: path\n", res.stderr
    res = subprocess.run([sys.executable, "-c", old + "print('agent')", "prog", "path"], capture_output=True,
                         text=True, timeout=30, env={"PATH": f"{tmp_path}:/usr/bin:/bin"})
    assert res.stdout == "agent\n"
