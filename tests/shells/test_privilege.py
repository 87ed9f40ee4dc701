"""Root analysing another user's home (issue 13.1): every shell, `go` and probe runs as that user,
with no capabilities, or the run refuses with exit 2. Runs as root (CI is root); the account
`goenvhome` is created by scripts/install-test-deps.sh."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from goenv_tui.host.process import CONTAIN_VAR, containment
from tests.homes import Home

USER = "goenvhome"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (CI runs as root)")


def _account() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        pytest.fail(f"account {USER} missing: run scripts/install-test-deps.sh")


@pytest.fixture
def user_home() -> Iterator[Home]:
    """A home owned by the test account, in a temp dir it can reach (pytest's own is root-only)."""
    pw = _account()
    base = tempfile.mkdtemp(prefix="goenv-tui-priv-")
    os.chmod(base, 0o755)
    home = Home(Path(base) / "home")
    os.chown(home.path, pw.pw_uid, pw.pw_gid)
    try:
        yield home
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _give(home: Home, pw: pwd.struct_passwd) -> None:
    for root, dirs, files in os.walk(home.path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), pw.pw_uid, pw.pw_gid, follow_symlinks=False)


def _report(home: Home, *extra: str, contain: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_COLOR="1")
    if contain:
        env[CONTAIN_VAR] = contain
    return subprocess.run([sys.executable, "-m", "goenv_tui", *extra, "--home", home.path, "--no-probes",
                           "--login-shell", "/bin/bash"], capture_output=True, text=True, timeout=180, env=env)


@pytest.mark.slow
@pytest.mark.parametrize("contain", ["pidns", "reaper", "reaper-exec"])
def test_startup_files_of_another_users_home_run_as_that_user(user_home: Home, contain: str) -> None:
    if contain == "pidns" and containment("pidns")[0] != "pidns":
        pytest.fail("root without a PID namespace")
    pw = _account()
    secret = tempfile.mkdtemp(prefix="goenv-tui-rootonly-")  # mode 0700, root's
    probe = (f'echo "$(id -u) $(id -g) $(id -G) $(grep CapEff /proc/self/status | tr -d \'\\t\')" '
             f'>> "$HOME/seen-$(basename "$0")"; touch {secret}/pwned-$$ 2>/dev/null\n'
             "export GOFLAGS=-mod=mod\n")
    user_home.file(".bashrc", probe).file(".zshenv", probe).file(".profile", probe)
    _give(user_home, pw)
    try:
        res = _report(user_home, "report", "--json", "--shell", "bash,zsh", contain=contain)
        assert res.returncode in (0, 1), res.stderr
        doc = json.loads(res.stdout)
        ok = [c for c in doc["contexts"] if c["status"] == "ok"]
        assert len(ok) == len(doc["contexts"]) >= 9, [(c["id"], c["status"], c["error"]) for c in doc["contexts"]]
        assert os.listdir(secret) == []  # nothing written with root's access
        seen = [p for p in Path(user_home.path).iterdir() if p.name.startswith("seen-")]
        assert {p.name for p in seen} >= {"seen-bash", "seen-zsh"}
        for p in seen:
            assert p.stat().st_uid == pw.pw_uid  # created by the user, not by root
            for line in p.read_text().splitlines():
                uid, gid, *rest = line.split()
                assert (int(uid), int(gid)) == (pw.pw_uid, pw.pw_gid), line
                assert "0" not in rest[:-1], line  # no root group
                assert rest[-1] == "CapEff:0000000000000000", line
        # Contexts that read the files still show what they set (bash -c reads none of them).
        assert [c["id"] for c in ok if c["env"].get("GOFLAGS") != "-mod=mod"] == ["bash-nologin-noninteractive"]
    finally:
        shutil.rmtree(secret, ignore_errors=True)


def test_fix_and_undo_for_another_users_home_are_refused(user_home: Home) -> None:
    pw = _account()
    user_home.file(".bashrc", "export GOROOT=/nowhere/go\n")
    _give(user_home, pw)
    res = _report(user_home, "fix", "GOENV-GODIR-001", "--yes", "--shell", "bash")
    assert res.returncode == 2, res.stdout + res.stderr
    assert f"belongs to {USER}; run the fix as that user" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not (Path(user_home.path) / ".local").exists()  # no root-owned journal or backup
    res = _report(user_home, "undo", "20260101-000000-abcdef")
    assert res.returncode == 2 and f"belongs to {USER}" in res.stderr


def test_home_of_an_unknown_uid_is_refused(user_home: Home) -> None:
    os.chown(user_home.path, 54321, 54321)
    res = _report(user_home, "report", "--shell", "bash")
    assert res.returncode == 2
    assert "belongs to uid 54321, which has no account here; refusing to run its startup files as root" in res.stderr


def test_startup_file_the_user_cannot_read_is_named_as_such(user_home: Home) -> None:
    pw = _account()
    user_home.file(".bashrc", "export GOFLAGS=-mod=mod\n")
    _give(user_home, pw)
    os.chmod(user_home.p(".bashrc"), 0o000)
    res = _report(user_home, "report", "--text", "-v", "--shell", "bash")
    assert res.returncode in (0, 1), res.stderr
    assert (f"~/.bashrc: not readable by {USER}, who runs the shell (mode 000, owner uid {pw.pw_uid}): "
            "the shell skips it with \"Permission denied\"") in res.stdout
    assert "assignment never ran" not in res.stdout


def test_root_reads_its_own_mode_000_startup_files_and_so_does_the_trace(tmp_path) -> None:
    """Root's own home (owned by uid 0): root's shells read a mode-000 startup file anyway, so the
    report must see what it sets, and call nothing unreadable or never run."""
    home = Home(tmp_path / "roothome")
    home.file(".bashrc", "export GOFLAGS=-mod=mod\n", mode=0o000)
    home.file(".zshrc", "export GOPATH=/opt/gp-000\n", mode=0o000)
    assert os.stat(home.path).st_uid == 0
    real = {shell: subprocess.run([f"/bin/{shell}", "-i", "-c", f"printf %s \"${var}\""], stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=30,
                                  env={"HOME": home.path, "PATH": "/usr/bin:/bin", "TERM": "dumb"}).stdout
            for shell, var in (("bash", "GOFLAGS"), ("zsh", "GOPATH"))}
    assert real == {"bash": "-mod=mod", "zsh": "/opt/gp-000"}  # what root's real shells do
    d = home.diagnose(shells=("bash", "zsh"), login_shell="/bin/bash")
    ctx = {c.id: c for c in d.facts.contexts}
    assert ctx["bash-nologin-interactive"].env.get("GOFLAGS") == real["bash"], ctx["bash-nologin-interactive"].notes
    assert ctx["bash-sshd-command"].env.get("GOFLAGS") == real["bash"]
    assert ctx["zsh-nologin-interactive"].env.get("GOPATH") == real["zsh"]
    assert [(a.location.path, a.location.line) for a in ctx["bash-nologin-interactive"].assignments
            if a.var == "GOFLAGS"] == [(home.p(".bashrc"), 1)]
    assert not [f.title for f in d.findings if f.check == "GOENV-TRACE-003" or "never ran" in f.title]


def _runs_as(home: str, pids_seen: dict[str, set[tuple[tuple[int, ...], str]]]) -> None:
    """Note every process started for this home (its HOME is the home) with its uids and
    effective capabilities; the containment's own root-run helpers are not the user's programs."""
    import psutil

    for p in psutil.process_iter(["cmdline"]):
        try:
            cmd = p.info["cmdline"] or []
            if not cmd or p.environ().get("HOME") != home:
                continue
            if any(w in " ".join(cmd) for w in ("reaper.py", "goenv-tui-init")) or \
                    os.path.basename(cmd[0]) in ("unshare", "setpriv"):
                continue
            with open(f"/proc/{p.pid}/status") as fh:
                caps = next(ln.split()[1] for ln in fh if ln.startswith("CapEff"))
            how = (tuple(p.uids()), caps)  # before setdefault: a process gone meanwhile adds nothing
            pids_seen.setdefault(os.path.basename(cmd[0]), set()).add(how)
        except (psutil.Error, OSError, StopIteration):
            continue


@pytest.mark.slow
def test_probes_of_another_users_home_run_as_that_user(user_home: Home, tmp_path: Path) -> None:
    """gopls, dlv and go build, driven live with pexpect, run as the home's owner with no
    capabilities, like its shells; they work, and leave nothing of root's in the home.
    goenv-tui is started from a folder only root may enter (root's usual /root, mode 0700): the
    user's go must not start there ("cannot determine current directory")."""
    import threading

    from tests import gotools

    pw = _account()
    bin_dir = Path(user_home.p("go/bin"))
    bin_dir.mkdir(parents=True)
    for tool in (gotools.gopls(), gotools.dlv()):
        shutil.copy2(tool, bin_dir)  # the user's own tools, where the user can run them
    line = f"export PATH={os.path.dirname(gotools.go())}:$HOME/go/bin:$PATH\n"
    user_home.file(".profile", line + "export GOPATH=$HOME/go\n").file(".bashrc", line)
    _give(user_home, pw)
    seen: dict[str, set[tuple[tuple[int, ...], str]]] = {}
    env = dict(os.environ, NO_COLOR="1")
    root_only = tmp_path / "root-only"
    root_only.mkdir()
    root_only.chmod(0o700)
    proc = subprocess.Popen([sys.executable, "-m", "goenv_tui", "report", "--json", "--home", user_home.path,
                             "--shell", "bash", "--login-shell", "/bin/bash"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=root_only)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            _runs_as(user_home.path, seen)
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out, err = proc.communicate(timeout=600)
    finally:
        done.set()
        sampler.join()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode in (0, 1), err
    doc = json.loads(out)
    probes = {(p["tool"], p["status"]) for p in doc["probes"]}
    assert probes == {("go", "ok"), ("gopls", "ok"), ("dlv", "ok")}, doc["probes"]
    assert {"gopls", "dlv", "go"} <= set(seen), seen
    user = (pw.pw_uid,) * 3
    for name, how in seen.items():
        assert how == {(user, "0000000000000000")}, (name, how)
    left = [str(p) for p in Path(user_home.path).rglob("*") if p.lstat().st_uid != pw.pw_uid]
    assert left == [], left  # nothing in the home written with root's identity
