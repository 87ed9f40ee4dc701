"""goenv-tui against a remote host: a real sshd on 127.0.0.1, a second user account whose home is
a fixture home. One multiplexed connection; the same diagnosis as locally; fixes and their undo
applied remotely; a connection killed mid-run ends cleanly."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from goenv_tui.diagnose import diagnose
from goenv_tui.fixes.engine import apply_fix, undo
from goenv_tui.fixes.journal import Journal
from goenv_tui.host import LocalHost
from goenv_tui.host.ssh import SSHHost
from goenv_tui.report import to_json
from goenv_tui.shells.tracer import TraceOptions
from tests import gotools

pytestmark = pytest.mark.slow


def fill_home(sshd, text: str) -> None:
    home = sshd.home
    for child in home.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    (home / ".bashrc").write_text(text)
    (home / ".profile").write_text('[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"\n')
    subprocess.run(["chown", "-R", f"{sshd.user}:{sshd.user}", str(home)], check=True)


BROKEN = (f"export GOPROXY=direct\ncase $- in *i*) ;; *) return;; esac\nexport PATH={os.path.dirname(gotools.GO)}:$PATH\n"
          "GOFLAGS=-v\n")


def opts(sshd) -> TraceOptions:
    return TraceOptions(home=str(sshd.home), shells=("bash",), login_shell="/bin/bash")


def comparable(doc: dict) -> dict:
    return {
        "contexts": {c["id"]: (c["status"], c["env"], [f["path"] for f in c["files"]]) for c in doc["contexts"]},
        "findings": sorted((f["id"], f["title"]) for f in doc["findings"]),
        "variables": sorted((v["name"], v["context"], json.dumps(v["assignments"], sort_keys=True)) for v in doc["variables"]),
    }


def test_remote_report_equals_local_report_of_the_same_home(sshd) -> None:
    fill_home(sshd, BROKEN)
    with SSHHost(sshd.target(), sshd.options()) as host:
        assert host.remote and host.home() == str(sshd.home) and host.euid() != 0
        remote = to_json(diagnose(host, opts(sshd)))
    # Locally the same home is traced as its owner too (bash as root runs in a user namespace
    # mapped to the home's owner), so both sides run the same shells the same way.
    local = to_json(diagnose(LocalHost(), opts(sshd)))
    assert remote["host"]["remote"] is True and local["host"]["remote"] is False
    r, lo = comparable(remote), comparable(local)
    assert set(r["findings"]) ^ set(lo["findings"]) == set(), (set(r["findings"]) - set(lo["findings"]),
                                                              set(lo["findings"]) - set(r["findings"]))
    assert r == lo
    assert any(f["check"] == "GOENV-GUARD-001" for f in remote["findings"])


def test_prefetched_lookups_equal_single_lookups(sshd) -> None:
    """One round trip answers a batch of lstat/stat/realpath the same as asking one by one,
    symlink chains (relative, through a linked folder, broken, looping) included."""
    fill_home(sshd, BROKEN)
    h = sshd.home
    (h / "real").mkdir()
    (h / "real" / "go").write_text("#!/bin/sh\n")
    (h / "linkdir").symlink_to("real")
    (h / "bin").mkdir()
    (h / "bin" / "go").symlink_to("../linkdir/go")
    (h / "bin" / "gopls").symlink_to("/nonexistent/gopls")
    (h / "bin" / "a").symlink_to("b")
    (h / "bin" / "b").symlink_to("a")
    subprocess.run(["chown", "-hR", f"{sshd.user}:{sshd.user}", str(h)], check=True)
    paths = [f"{h}/bin/{n}" for n in ("go", "gopls", "a", "dlv")] + [f"{h}/linkdir/go", f"{h}/nope/go"]
    with SSHHost(sshd.target(), sshd.options()) as host:
        def ask() -> list:
            return [(host.lstat(p), host.stat(p), host.realpath(p)) for p in paths]

        one_by_one = ask()
        host.invalidate()
        host.prefetch(paths, dirs=paths)
        sent: list[str] = []
        call = host._call
        host._call = lambda op, *a, **k: (sent.append(op), call(op, *a, **k))[1]  # type: ignore[method-assign]
        assert ask() == one_by_one
        assert sent == []  # every answer came from the one batch
    assert one_by_one[0][1].is_file and one_by_one[0][2] == f"{h}/real/go"
    assert not one_by_one[1][1].exists and one_by_one[1][0].is_symlink


def test_sshd_context_matches_what_sshd_really_gives(sshd) -> None:
    fill_home(sshd, BROKEN)
    with SSHHost(sshd.target(), sshd.options()) as host:
        d = diagnose(host, opts(sshd))
    real = d.facts.sshd_env
    traced = {t.id: t for t in d.facts.contexts}["bash-sshd-command"].env
    assert real is not None and real["GOPROXY"] == traced["GOPROXY"] == "direct"
    assert real["PATH"] == traced["PATH"]
    assert not [f for f in d.findings if f.check == "GOENV-SSH-001"]


def test_fix_and_undo_applied_remotely(sshd) -> None:
    fill_home(sshd, BROKEN)
    bashrc = sshd.home / ".bashrc"
    original = bashrc.read_bytes()
    with SSHHost(sshd.target(), sshd.options()) as host:
        d = diagnose(host, opts(sshd), today="2026-01-01")
        f = next(x for x in d.findings if x.check == "GOENV-GUARD-001" and "bash-sshd-command" in x.contexts)
        planned = d.plans[f.id][0]
        out = apply_fix(host, opts(sshd), None, d, planned)
        assert out.applied and out.cleared, out.verdict
        assert bashrc.read_bytes() != original
        entries = Journal(host, str(sshd.home)).entries()
        assert entries and entries[0].files[0].backup.startswith(str(sshd.home / ".local/state/goenv-tui"))
        assert Path(entries[0].files[0].backup).stat().st_uid == sshd.home.stat().st_uid  # written as the remote user
        undo(host, str(sshd.home), out.entry.id)
    assert bashrc.read_bytes() == original


def test_cli_report_over_ssh(sshd) -> None:
    fill_home(sshd, BROKEN)
    res = subprocess.run([sys.executable, "-m", "goenv_tui", "report", "--json", "--no-probes", "--ssh", sshd.target(),
                          "--ssh-config", str(sshd.config), "--shell", "bash"], capture_output=True, text=True, timeout=120)
    doc = json.loads(res.stdout)
    assert doc["host"]["remote"] is True and doc["host"]["home"] == str(sshd.home)
    assert res.returncode == 1, res.stderr  # go is missing for `ssh host cmd`: an error


def test_relative_workspace_over_ssh_is_under_the_remote_home(sshd) -> None:
    fill_home(sshd, BROKEN)
    (sshd.home / "proj").mkdir()
    (sshd.home / "proj" / "go.mod").write_text("module example.com/p\n\ngo 1.21\n")
    subprocess.run(["chown", "-R", f"{sshd.user}:{sshd.user}", str(sshd.home / "proj")], check=True)
    base = [sys.executable, "-m", "goenv_tui", "report", "--json", "--no-probes", "--ssh", sshd.target(),
            "--ssh-config", str(sshd.config), "--shell", "bash"]
    res = subprocess.run([*base, "--workspace", "proj"], capture_output=True, text=True, timeout=120)
    assert json.loads(res.stdout)["host"]["workspace"] == str(sshd.home / "proj"), res.stderr
    missing = subprocess.run([*base, "--workspace", "nope"], capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and f"{sshd.home}/nope: not a directory" in missing.stderr


def test_killed_connection_mid_run_ends_cleanly(sshd) -> None:
    fill_home(sshd, BROKEN + "sleep 3\n")
    with SSHHost(sshd.target(), sshd.options()) as host:
        killer = threading.Timer(1.0, lambda: os.kill(host._master.pid, signal.SIGKILL))  # noqa: SLF001
        killer.start()
        d = diagnose(host, TraceOptions(home=str(sshd.home), shells=("bash",), login_shell="/bin/bash", timeout=8))
        killer.join()
    assert d.facts.lost and "lost" in d.facts.lost
    doc = to_json(d)
    assert doc["contexts"]  # what was collected is still reported


def test_unreachable_host_is_a_clear_error() -> None:
    res = subprocess.run([sys.executable, "-m", "goenv_tui", "report", "--ssh", "nobody@127.0.0.1", "--ssh-option",
                          "Port=1", "--ssh-option", "ConnectTimeout=3", "--ssh-option", "BatchMode=yes"],
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert res.returncode == 2 and "cannot connect" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_local_host_is_still_local() -> None:
    assert LocalHost().remote is False


def test_idle_deadline_over_ssh_tells_stuck_from_slow(sshd) -> None:
    """The agent applies the same rule as a local run: silence on stderr for idle_timeout is
    stuck; a child that keeps writing runs on to the overall deadline."""
    with SSHHost(sshd.target(), sshd.options()) as host:
        stuck = host.run(["/bin/sh", "-c", "echo start >&2; sleep 6097"], env={"PATH": "/usr/bin:/bin"},
                         timeout=20, idle_timeout=1.0)
        busy = host.run(["/bin/sh", "-c", "i=0; while [ $i -lt 25 ]; do echo $i >&2; sleep 0.1; i=$((i+1)); done; echo done"],
                        env={"PATH": "/usr/bin:/bin"}, timeout=20, idle_timeout=1.0)
    assert stuck.timed_out and stuck.stalled and stuck.duration_ms < 10_000
    assert "no progress for 1s" in (stuck.error or "")
    assert busy.ok and not busy.stalled and busy.stdout == b"done\n" and busy.duration_ms > 2000


def test_prompts_go_to_the_callers_ask_and_unanswered_ones_are_clear(sshd, tmp_path: Path) -> None:
    """ssh asks through SSH_ASKPASS: a key passphrase reaches `ask` (not secret-less), the
    connection works with the answer; without `ask` the error names the question."""
    key = tmp_path / "pkey"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "s3cret", "-f", str(key)], check=True)
    auth = sshd.root / "authorized_keys"
    original = auth.read_text()
    auth.write_text(original + (tmp_path / "pkey.pub").read_text())
    try:
        config = tmp_path / "ssh_config"
        config.write_text(sshd.config.read_text().replace(str(sshd.root / "clientkey"), str(key)))
        opts = ["-F", str(config), "-o", "IdentityAgent=none"]
        asked: list[tuple[str, bool]] = []

        def ask(prompt: str, secret: bool) -> str:
            asked.append((prompt, secret))
            return "s3cret"

        with SSHHost(sshd.target(), opts, ask=ask) as host:
            assert host.home() == str(sshd.home)
        assert asked and "passphrase" in asked[0][0].lower() and asked[0][1] is True
        with pytest.raises(Exception) as err:
            SSHHost(sshd.target(), opts, connect_timeout=20)
        assert "asks" in str(err.value) and "passphrase" in str(err.value).lower()
    finally:
        auth.write_text(original)


def test_cli_connects_while_importing_and_closes_if_interrupted(sshd) -> None:
    """`report --ssh` connects while it imports the diagnosis core; interrupted meanwhile (Ctrl-C),
    the connection that was made is closed: no ssh master is left running."""
    from goenv_tui.cli import _connect_while

    made: list[SSHHost] = []

    def connect() -> SSHHost:
        made.append(SSHHost(sshd.target(), sshd.options()))
        return made[-1]

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _connect_while(connect, interrupted)
    [host] = made
    assert host._agent is None and not os.path.exists(host.control)
    imported: list[bool] = []
    with _connect_while(connect, lambda: imported.append(True)) as host2:
        assert imported == [True] and host2.home() == str(sshd.home)
