"""Every fix kind on fixture homes with real shells: applied, verified by a fresh trace, undone
byte for byte, refused on a concurrently modified file, idempotent, and crash-safe."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from goenv_tui.diagnose import diagnose
from goenv_tui.fixes.engine import FixRefused, apply_fix, attempt_fix, undo
from goenv_tui.fixes.journal import Journal
from goenv_tui.host import LocalHost
from goenv_tui.shells.tracer import TraceOptions
from tests import gotools
from tests.homes import Home

GO_DIR = os.path.dirname(gotools.GO)


def opts(home: Home, shells=("bash",), login_shell="/bin/bash") -> TraceOptions:
    return TraceOptions(home=home.path, shells=shells, login_shell=login_shell)


def plan(home: Home, check: str, fix_id: str | None = None, shells=("bash",), login_shell="/bin/bash",
         workspace: str | None = None, contexts: str | None = None):
    d = diagnose(LocalHost(), opts(home, shells, login_shell), workspace, today="2026-01-01")
    found = [f for f in d.findings if f.check == check and (contexts is None or contexts in f.contexts)]
    assert found, [f.id for f in d.findings]
    f = found[0]
    plans = d.plans.get(f.id, [])
    assert plans, f"no fix planned for {f.id}"
    planned = next(p for p in plans if fix_id is None or p.id == fix_id)
    return d, f, planned


def apply(home: Home, d, planned, shells=("bash",), login_shell="/bin/bash", workspace=None):
    return apply_fix(LocalHost(), opts(home, shells, login_shell), workspace, d, planned)


def snapshot(path: str) -> tuple[bytes, int, int]:
    st = os.stat(path)
    return Path(path).read_bytes(), st.st_mode & 0o7777, st.st_mtime_ns


def roundtrip(home: Home, check: str, fix_id: str | None = None, *, env_check, shells=("bash",),
              login_shell="/bin/bash", contexts: str | None = None) -> None:
    """Apply → verified by a fresh trace → re-plan finds nothing to do → undo restores bytes and mode."""
    d, f, planned = plan(home, check, fix_id, shells, login_shell, contexts=contexts)
    files = [e.path for e in planned.edits if e.changes]
    before = {p: snapshot(p) if os.path.exists(p) else None for p in files}
    for p in files:
        if os.path.exists(p):
            os.chmod(p, 0o640)
    before = {p: snapshot(p) if os.path.exists(p) else None for p in files}
    out = apply(home, d, planned, shells, login_shell)
    assert out.applied and out.cleared, out.verdict
    assert "verified" in out.verdict and out.entry is not None
    env_check(out.after)
    for p in files:
        if before[p] is not None:
            assert os.stat(p).st_mode & 0o7777 == 0o640  # mode kept
    # Idempotent: the finding is gone, so nothing is planned for it any more.
    d2 = diagnose(LocalHost(), opts(home, shells, login_shell), today="2026-01-01")
    assert all(x.id != f.id for x in d2.findings)
    time.sleep(0.01)
    entry = undo(LocalHost(), home.path, out.entry.id)
    assert entry.state == "undone"
    for p, snap in before.items():
        if snap is None:
            assert not os.path.exists(p)
        else:
            data, mode, mtime = snapshot(p)
            assert (data, mode) == snap[:2]
            assert mtime >= snap[2]  # restored by a new write: editors and watchers see a change
    with pytest.raises(FixRefused, match="already undone"):
        undo(LocalHost(), home.path, out.entry.id)


def ctx(d, cid):
    return {t.id: t for t in d.facts.contexts}[cid]


def test_move_exports_above_the_guard(home: Home) -> None:
    home.file(".bashrc", f"export GOPROXY=direct\ncase $- in\n  *i*) ;;\n  *) return;;\nesac\nexport PATH={GO_DIR}:$PATH\n"
                         "export GOFLAGS=-v\n")
    roundtrip(home, "GOENV-GUARD-001", "move-above-guard", contexts="bash-sshd-command",
              env_check=lambda d: (ctx(d, "bash-sshd-command").env["GOFLAGS"] == "-v"
                                   and d.facts.resolutions["bash-sshd-command"]["go"].resolved.path == gotools.GO) or
              pytest.fail("sshd context still lacks the exports"))


def test_bash_profile_sources_profile(home: Home) -> None:
    home.file(".bash_profile", "# login\nexport EDITOR=vi\n")
    home.file(".profile", f"export PATH={GO_DIR}:$PATH\n")
    roundtrip(home, "GOENV-DORMANT-001", "source-profile",
              env_check=lambda d: d.facts.resolutions["bash-login-interactive"]["go"].resolved is not None
              or pytest.fail("login shells still do not get go"))


def test_comment_out_an_override(home: Home) -> None:
    home.file(".zprofile", "export GOROOT=/usr/local/go\n")
    home.file(".zshrc", "# sdk\nexport GOROOT=$HOME/sdk/go1.22\n")
    roundtrip(home, "GOENV-OVERRIDE-001", "comment-out-override", shells=("zsh",), login_shell="/bin/zsh",
              env_check=lambda d: ctx(d, "zsh-login-interactive").env["GOROOT"] == "/usr/local/go"
              or pytest.fail("override still active"))


def test_move_from_zshrc_to_zshenv(home: Home) -> None:
    home.file(".zshrc", "# tools\nexport GOFLAGS=-mod=mod\n")
    roundtrip(home, "GOENV-CTXDIFF-001", "move-to-zshenv", shells=("zsh",), login_shell="/bin/zsh",
              env_check=lambda d: ctx(d, "zsh-nologin-noninteractive").env.get("GOFLAGS") == "-mod=mod"
              or pytest.fail("non-interactive zsh still lacks GOFLAGS"))


def test_go_for_zsh_c_goes_into_a_new_zshenv(home: Home) -> None:
    """`zsh -c` (ssh host cmd) reads no file of this home: the fix creates ~/.zshenv, and undo
    removes it again."""
    home.file(".zshrc", f"export PATH={GO_DIR}:$PATH\n")
    roundtrip(home, "GOENV-GO-002", "add-to-path", shells=("zsh",), login_shell="/bin/zsh",
              env_check=lambda d: d.facts.resolutions["zsh-nologin-noninteractive"]["go"].resolved.path == gotools.GO
              or pytest.fail("zsh -c still finds no go"))
    assert not os.path.exists(home.p(".zshenv"))


def test_path_entry_from_zshrc_moves_to_zshenv(home: Home) -> None:
    home.file(".zshenv", "export EDITOR=vi\n")
    home.file(".zshrc", f"# go\nexport PATH={GO_DIR}:$PATH\n")
    roundtrip(home, "GOENV-CTXDIFF-002", "move-to-zshenv", shells=("zsh",), login_shell="/bin/zsh",
              env_check=lambda d: GO_DIR in ctx(d, "zsh-nologin-noninteractive").env["PATH"].split(":")
              or pytest.fail("zsh -c still lacks the Go folder"))


def test_a_harmful_value_is_removed_not_spread(home: Home) -> None:
    """GOFLAGS=-mod=vendor only in interactive zsh: making every context agree means removing it,
    not copying it to ~/.zshenv."""
    home.file(".zshenv", f"export PATH={GO_DIR}:$PATH\n")
    home.file(".zshrc", "export GOFLAGS=-mod=vendor\n")
    d, f, planned = plan(home, "GOENV-CTXDIFF-001", shells=("zsh",), login_shell="/bin/zsh")
    assert [p.id for p in d.plans[f.id]] == ["remove-goflags"], [p.fix.title for p in d.plans[f.id]]
    assert planned.fix.title.startswith("Fix the cause (GOENV-MOD-002@")
    roundtrip(home, "GOENV-CTXDIFF-001", "remove-goflags", shells=("zsh",), login_shell="/bin/zsh",
              env_check=lambda d: all("GOFLAGS" not in t.env for t in d.facts.contexts)
              or pytest.fail("GOFLAGS still set somewhere"))


def test_a_wrong_override_is_not_moved_where_more_contexts_read_it(home: Home) -> None:
    home.file(".zprofile", f"export PATH={GO_DIR}:$PATH\nexport GOROOT={os.path.dirname(GO_DIR)}\n")
    home.file(".zshrc", "export GOROOT=$HOME/sdk/go1.21.0\n")  # does not exist: GODIR-001
    d, f, planned = plan(home, "GOENV-OVERRIDE-001", shells=("zsh",), login_shell="/bin/zsh")
    assert any(x.check == "GOENV-GODIR-001" for x in d.findings)
    assert [p.id for p in d.plans[f.id]] == ["comment-out-override"]


def test_guard_fix_leaves_a_harmful_line_where_it_is(home: Home) -> None:
    home.file(".bashrc", f"case $- in *i*) ;; *) return;; esac\nexport PATH={GO_DIR}:$PATH\nexport GOFLAGS=-mod=vendor\n")
    d, f, planned = plan(home, "GOENV-GUARD-001", "move-above-guard", contexts="bash-sshd-command")
    [edit] = planned.edits
    assert planned.fix.title == "Move 1 line above the early return at ~/.bashrc:1"
    assert edit.after.index(f"export PATH={GO_DIR}") < edit.after.index("case $-")
    assert edit.after.index("case $-") < edit.after.index("export GOFLAGS=-mod=vendor")


def test_literal_tilde_becomes_home(home: Home) -> None:
    home.dir("go/bin")
    home.file(".bashrc", f'export PATH="~/go/bin:{GO_DIR}:$PATH"\n')
    roundtrip(home, "GOENV-PATH-003", "tilde-to-home",
              env_check=lambda d: ctx(d, "bash-nologin-interactive").env["PATH"].startswith(home.p("go/bin"))
              or pytest.fail("PATH still has a literal ~"))


def test_duplicate_path_entry(home: Home) -> None:
    home.file(".bashrc", f"export PATH={GO_DIR}:$PATH\n# again\nexport PATH={GO_DIR}:$PATH\n")
    roundtrip(home, "GOENV-PATH-004", "remove-duplicate",
              env_check=lambda d: ctx(d, "bash-nologin-interactive").env["PATH"].count(GO_DIR) == 1
              or pytest.fail("still duplicated"))


def test_export_a_go_variable(home: Home) -> None:
    home.file(".bashrc", f"export PATH={GO_DIR}:$PATH\nGOFLAGS=-v\n")
    roundtrip(home, "GOENV-EXPORT-001", "export",
              env_check=lambda d: ctx(d, "bash-nologin-interactive").env.get("GOFLAGS") == "-v"
              or pytest.fail("GOFLAGS still not exported"))


def test_unset_a_mismatched_goroot(home: Home) -> None:
    home.file(".bashrc", f"export PATH={GO_DIR}:$PATH\nexport GOROOT={gotools.goroot_of(gotools.go119())}\n")
    roundtrip(home, "GOENV-GOROOT-001", "unset-goroot",
              env_check=lambda d: "GOROOT" not in ctx(d, "bash-nologin-interactive").env
              or pytest.fail("GOROOT still set"))


def test_add_gobin_to_path_where_every_context_reads_it(home: Home) -> None:
    home.file(".profile", '[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"\n')
    home.file(".bashrc", f'export PATH="{GO_DIR}:$PATH"\nexport GOBIN="$HOME/tools"\ncase $- in *i*) ;; *) return;; esac\n')
    roundtrip(home, "GOENV-GOBIN-001", "add-to-path",
              env_check=lambda d: all(home.p("tools") in ctx(d, c).env["PATH"].split(":")
                                      for c in ("bash-login-interactive", "bash-nologin-interactive", "bash-sshd-command"))
              or pytest.fail("GOBIN not on PATH everywhere"))


def test_refused_when_the_file_changed_since_it_was_read(home: Home) -> None:
    home.file(".bashrc", f"export PATH={GO_DIR}:$PATH\nGOFLAGS=-v\n")
    d, f, planned = plan(home, "GOENV-EXPORT-001")
    with open(home.p(".bashrc"), "a") as fh:
        fh.write("# edited in another window\n")
    changed = Path(home.p(".bashrc")).read_bytes()
    with pytest.raises(FixRefused, match="changed since it was read"):
        apply(home, d, planned)
    assert Path(home.p(".bashrc")).read_bytes() == changed
    assert Journal(LocalHost(), home.path).entries() == []


def test_undo_refused_after_a_later_edit(home: Home) -> None:
    home.file(".bashrc", f"export PATH={GO_DIR}:$PATH\nGOFLAGS=-v\n")
    d, f, planned = plan(home, "GOENV-EXPORT-001")
    out = apply(home, d, planned)
    with open(home.p(".bashrc"), "a") as fh:
        fh.write("export EDITOR=vi\n")
    kept = Path(home.p(".bashrc")).read_bytes()
    with pytest.raises(FixRefused, match="changed since the fix"):
        undo(LocalHost(), home.path, out.entry.id)
    assert Path(home.p(".bashrc")).read_bytes() == kept


def test_crash_between_backup_and_write_loses_nothing(home: Home) -> None:
    home.file(".bashrc", f"export PATH={GO_DIR}:$PATH\nGOFLAGS=-v\n")
    original = Path(home.p(".bashrc")).read_bytes()
    d, f, _ = plan(home, "GOENV-EXPORT-001")
    env = dict(os.environ, GOENV_TUI_TEST_CRASH="after-backup")
    res = subprocess.run([sys.executable, "-m", "goenv_tui", "fix", f.id, "--yes", "--no-probes", "--home", home.path,
                          "--shell", "bash", "--login-shell", "/bin/bash"], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 70  # the process died right after the backup
    assert Path(home.p(".bashrc")).read_bytes() == original
    [entry] = Journal(LocalHost(), home.path).entries()
    assert entry.state == "pending" and Path(entry.files[0].backup).read_bytes() == original
    undone = undo(LocalHost(), home.path, entry.id)
    assert undone.state == "undone" and Path(home.p(".bashrc")).read_bytes() == original


def test_cli_dry_run_changes_nothing_and_yes_applies(home: Home) -> None:
    home.file(".bashrc", f"export PATH={GO_DIR}:$PATH\nGOFLAGS=-v\n")
    d, f, _ = plan(home, "GOENV-EXPORT-001")
    base = [sys.executable, "-m", "goenv_tui", "fix", f.id, "--no-probes", "--home", home.path, "--shell", "bash",
            "--login-shell", "/bin/bash"]
    original = Path(home.p(".bashrc")).read_bytes()
    dry = subprocess.run(base + ["--dry-run"], capture_output=True, text=True, timeout=120)
    assert dry.returncode == 0 and "+export GOFLAGS=-v" in dry.stdout
    assert Path(home.p(".bashrc")).read_bytes() == original
    refused = subprocess.run(base, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    done = subprocess.run(base + ["--yes"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "verified" in done.stdout
    listed = subprocess.run([sys.executable, "-m", "goenv_tui", "undo", "--list", "--home", home.path],
                            capture_output=True, text=True, timeout=60)
    assert "applied" in listed.stdout and "Export GOFLAGS" in listed.stdout


def test_export_a_fish_variable(home: Home) -> None:
    home.file(".config/fish/config.fish", "# go\nset -g GOFLAGS -mod=mod\n")
    roundtrip(home, "GOENV-EXPORT-001", "export", shells=("fish",), login_shell="/usr/bin/fish",
              env_check=lambda d: ctx(d, "fish-nologin-interactive").env.get("GOFLAGS") == "-mod=mod"
              or pytest.fail("GOFLAGS still not exported by fish"))
    assert "set -g GOFLAGS" in Path(home.p(".config/fish/config.fish")).read_text()


def test_attempt_fix_reports_a_failure_it_cannot_recover_from(home: Home) -> None:
    """No backup, no write: when the journal cannot be created (a regular file stands where its
    directory goes) the fix is refused, and the TUI, the wizard and apply_safe show that as a verdict."""
    home.file(".bashrc", f"export PATH={GO_DIR}:$PATH\nGOFLAGS=-v\n")
    original = Path(home.p(".bashrc")).read_bytes()
    d, f, planned = plan(home, "GOENV-EXPORT-001")
    home.file(".local/state", "not a directory\n")
    out = attempt_fix(LocalHost(), opts(home), None, d, planned)
    assert not out.applied and out.entry is None
    assert out.verdict.startswith("Not applied: could not back up") and ".local/state" in out.verdict, out.verdict
    assert Path(home.p(".bashrc")).read_bytes() == original
