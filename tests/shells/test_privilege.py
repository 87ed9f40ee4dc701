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
@pytest.mark.parametrize("contain", ["pidns", "reaper"])
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
