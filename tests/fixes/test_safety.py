"""Issue 11: fixes that can never make things worse. Each numbered case of the issue, on real
shells in fake homes: the harmful edit is refused by the builder or found "not safe" by its trial
on a private copy, and a fix that is applied leaves every byte it did not mean to change."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from goenv_tui.diagnose import diagnose
from goenv_tui.fixes import edits
from goenv_tui.fixes.engine import NotSafe, apply_fix, undo, undo_chain
from goenv_tui.fixes.journal import Journal
from goenv_tui.fixes.plan import FileEdit, PlannedFix, from_bytes, to_bytes
from goenv_tui.fixes.trial import Trial, run_trial
from goenv_tui.host import LocalHost
from goenv_tui.model import Fix
from goenv_tui.shells.tracer import TraceOptions
from tests import gotools
from tests.homes import Home

GO_DIR = os.path.dirname(gotools.GO)
TODAY = "2026-01-01"


def opts(home: Home, shells=("bash",), login_shell="/bin/bash") -> TraceOptions:
    return TraceOptions(home=home.path, shells=shells, login_shell=login_shell)


def run(home: Home, shells=("bash",), login_shell="/bin/bash"):
    return diagnose(LocalHost(), opts(home, shells, login_shell), None, today=TODAY)


def finding(d, check: str, contexts: str | None = None):
    found = [f for f in d.findings if f.check == check and (contexts is None or contexts in f.contexts)]
    assert found, [(f.id, f.title) for f in d.findings]
    return found[0]


def tree(home: Home) -> dict[str, tuple[str, bytes | str]]:
    """Every file and link under the home, as bytes or link target: not the tool's own state, nor
    the go build cache and telemetry that running `go env` writes (issue 16 owns those)."""
    out: dict[str, tuple[str, bytes | str]] = {}
    for dirpath, dirnames, filenames in os.walk(home.path):
        dirnames[:] = [d for d in dirnames if not os.path.join(dirpath, d).endswith((".local/state", ".cache", "go/telemetry"))]
        for name in [*filenames, *[d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]]:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, home.path)
            out[rel] = ("link", os.readlink(p)) if os.path.islink(p) else ("file", Path(p).read_bytes())
    return out


def go_found(d) -> set[str]:
    return {cid for cid, res in d.facts.resolutions.items() if res.get("go") and res["go"].resolved}


def syntax_ok(path: str, shell: str = "bash") -> bool:
    argv = ["fish", "--no-execute", path] if shell == "fish" else [shell, "-n", path]
    return subprocess.run(argv, capture_output=True, timeout=10).returncode == 0


def manual(d, f, path: str, before: str | None, after: str, contexts=()) -> PlannedFix:
    """A hand-made edit (what a careless builder might plan), to show the trial catches it."""
    return PlannedFix(Fix("manual", "manual edit", "edit", ""), f.id, f.check, (FileEdit(path, before, after),),
                      contexts=tuple(contexts), safe=True)


# --- 1. working go lost -------------------------------------------------------------------------

def test_1a_a_line_that_does_several_things_is_not_commented_out(home: Home) -> None:
    """stefanmaric/g's installer line sets GOPATH, GOROOT and PATH in one line: a GOROOT finding
    must not disable the whole line (it would lose go)."""
    root119 = gotools.goroot_of(gotools.go119())
    home.file(".bashrc", f'export GOPATH="$HOME/go"; export GOROOT="{root119}"; export PATH="{GO_DIR}:$GOPATH/bin:$PATH"; '
                         "# g-install: do NOT edit, see https://github.com/stefanmaric/g\n")
    d = run(home)
    f = finding(d, "GOENV-GOROOT-001")
    assert all(p.id != "unset-goroot" for p in d.plans.get(f.id, []))
    assert any("does several things (it also sets GOPATH, PATH)" in why for why in d.refused[f.id]), d.refused


def test_1b_disabling_the_only_line_that_adds_go_is_not_safe(home: Home) -> None:
    """A duplicate PATH entry in one context is the only go of another: commenting it out is
    caught by the trial (a context loses go), whatever line the builder picks."""
    home.file(".zprofile", f"export PATH={GO_DIR}:$PATH\n")
    home.file(".zshrc", f"export PATH={GO_DIR}:$PATH\n")
    d = run(home, ("zsh",), "/bin/zsh")
    had = go_found(d)
    f = finding(d, "GOENV-PATH-004")
    zprofile_line = manual(d, f, home.p(".zprofile"), Path(home.p(".zprofile")).read_text(),
                           edits.comment_out(Path(home.p(".zprofile")).read_text(), 1, "dup", TODAY, var="PATH"))
    t = run_trial(LocalHost(), opts(home, ("zsh",), "/bin/zsh"), None, d, zprofile_line)
    assert t.tried and not t.safe and any("zsh-login-noninteractive loses go" in p for p in t.problems), t.problems
    for p in d.plans.get(f.id, []):
        trial = run_trial(LocalHost(), opts(home, ("zsh",), "/bin/zsh"), None, d, p)
        if trial.safe:
            out = apply_fix(LocalHost(), opts(home, ("zsh",), "/bin/zsh"), None, d, p, trial=trial)
            assert out.applied and had <= go_found(out.after), out.verdict


def test_1c_a_goroot_line_whose_value_the_next_line_uses_is_kept(home: Home) -> None:
    root119 = gotools.goroot_of(gotools.go119())
    home.file(".bashrc", f'export GOROOT="{root119}"\nexport PATH="{GO_DIR}:$GOROOT/bin:$PATH"\n')
    d = run(home)
    f = finding(d, "GOENV-GOROOT-001")
    assert all(p.id != "unset-goroot" for p in d.plans.get(f.id, []))
    assert any("~/.bashrc:2 uses $GOROOT" in why for why in d.refused[f.id]), d.refused


def test_1c_a_goroot_that_does_not_exist_is_left_to_the_trial(home: Home) -> None:
    """GOROOT names nothing, so the line using it is broken already: disabling it is offered if
    the trial shows nothing gets worse (go still found where it was)."""
    home.file(".bashrc", f'export GOROOT="$HOME/sdk/go1.21.0"\nexport PATH="$GOROOT/bin:{GO_DIR}:$PATH"\n')
    d = run(home)
    had = go_found(d)
    f = finding(d, "GOENV-GODIR-001")
    [p] = [p for p in d.plans[f.id] if p.id == "unset-goroot"]
    t = run_trial(LocalHost(), opts(home), None, d, p)
    assert t.safe, t.problems
    out = apply_fix(LocalHost(), opts(home), None, d, p, trial=t)
    assert out.applied and out.cleared and had <= go_found(out.after), out.verdict


def _loop_home(home: Home) -> None:
    home.file(".bash_profile", "# login\nexport EDITOR=vi\n")
    home.file(".profile", f'export PATH={GO_DIR}:$PATH\n. "$HOME/.bashrc"\n')
    home.file(".bashrc", '. "$HOME/.bash_profile"\n')


def test_1d_no_sourcing_loop_is_offered(home: Home) -> None:
    """~/.profile sources ~/.bashrc, which sources ~/.bash_profile: making ~/.bash_profile source
    ~/.profile would never finish starting."""
    _loop_home(home)
    d = run(home)
    f = finding(d, "GOENV-DORMANT-001")
    assert not d.plans.get(f.id)
    assert any("sourcing loop (~/.bash_profile → ~/.profile → ~/.bashrc → ~/.bash_profile)" in why
               for why in d.refused[f.id]), d.refused


@pytest.mark.slow
def test_1d_the_trial_catches_a_loop_the_builder_missed(home: Home) -> None:
    _loop_home(home)
    d = run(home)
    f = finding(d, "GOENV-DORMANT-001")
    text = Path(home.p(".bash_profile")).read_text()
    p = manual(d, f, home.p(".bash_profile"), text, '. "$HOME/.profile"\n' + text)
    before = tree(home)
    t = run_trial(LocalHost(), opts(home), None, d, p)
    assert not t.safe and any(x.startswith("bash-login-interactive no longer starts: `bash -l -i -c exit` did not finish")
                               for x in t.problems), t.problems
    with pytest.raises(NotSafe):
        apply_fix(LocalHost(), opts(home), None, d, p, trial=t)
    assert tree(home) == before  # the trial wrote nothing into the home


# --- 2. syntax never broken ---------------------------------------------------------------------

@pytest.mark.parametrize("shell", ["bash", "zsh"])
@pytest.mark.parametrize("text", [
    "if [ -d /usr ]; then\n  export GOROOT=/nowhere\nfi\n",
    "setgo() {\n  export GOROOT=/nowhere\n}\nsetgo\n",
    "for d in /usr; do\n  export GOROOT=/nowhere\ndone\n",
    "while false; do\n  export GOROOT=/nowhere\ndone\n",
])
def test_2a_commenting_the_only_line_of_a_body_keeps_the_syntax(tmp_path, shell: str, text: str) -> None:
    new = edits.comment_out(text, 2, "test", TODAY, var="GOROOT")
    path = tmp_path / "rc"
    path.write_text(new)
    assert syntax_ok(str(path), shell), new
    assert "# export GOROOT=/nowhere" in new


def test_2b_half_a_compound_is_refused(tmp_path) -> None:
    with pytest.raises(edits.EditRefused, match="opens a block"):
        edits.comment_out("if true; then\n  export GOROOT=/x\nfi\n", 1, "r", TODAY, var="GOROOT")


def test_2c_a_goroot_in_an_if_body_is_fixed_and_the_file_still_parses(home: Home) -> None:
    home.file(".bashrc", f"export PATH={GO_DIR}:$PATH\nif [ -d /usr ]; then\n  export GOROOT=$HOME/sdk/go1.21.0\nfi\n")
    d = run(home)
    f = finding(d, "GOENV-GODIR-001")
    [p] = [p for p in d.plans[f.id] if p.id == "unset-goroot"]
    out = apply_fix(LocalHost(), opts(home), None, d, p)
    assert out.applied and out.cleared, out.verdict
    assert syntax_ok(home.p(".bashrc"))


def test_2d_the_trial_catches_broken_syntax(home: Home) -> None:
    home.file(".bashrc", f"export PATH={GO_DIR}:$PATH\nif [ -d /usr ]; then\n  export GOROOT=$HOME/sdk/go1.21.0\nfi\n")
    d = run(home)
    f = finding(d, "GOENV-GODIR-001")
    text = Path(home.p(".bashrc")).read_text()
    broken = text.replace("  export GOROOT=$HOME/sdk/go1.21.0\n", "  # export GOROOT=$HOME/sdk/go1.21.0\n")
    t = run_trial(LocalHost(), opts(home), None, d, manual(d, f, home.p(".bashrc"), text, broken))
    assert not t.safe and any("~/.bashrc fails `bash -n`" in x and "fi" in x for x in t.problems), t.problems


def test_2e_a_line_in_a_loop_moves_with_its_loop(home: Home) -> None:
    home.file(".bashrc", f"case $- in *i*) ;; *) return;; esac\nfor d in {GO_DIR}; do\n  export PATH=$d:$PATH\ndone\n")
    d = run(home)
    f = finding(d, "GOENV-GUARD-001", "bash-sshd-command")
    [p] = d.plans[f.id]
    assert p.edits[0].after.index("for d in") < p.edits[0].after.index("case $-")
    out = apply_fix(LocalHost(), opts(home), None, d, p)
    assert out.applied and out.cleared, out.verdict
    assert "bash-sshd-command" in go_found(out.after) and syntax_ok(home.p(".bashrc"))


def test_2f_a_moved_line_keeps_the_variables_it_uses_or_is_refused(home: Home) -> None:
    home.file(".bashrc", f"case $- in *i*) ;; *) return;; esac\nTOOLDIR={GO_DIR}\nexport PATH=$TOOLDIR:$PATH\n")
    d = run(home)
    f = finding(d, "GOENV-GUARD-001", "bash-sshd-command")
    assert not d.plans.get(f.id)
    assert any("use $TOOLDIR, which ~/.bashrc:2 sets below the early return" in why for why in d.refused[f.id]), d.refused


# --- 3. values are data ---------------------------------------------------------------------------

def test_3_a_value_with_code_in_it_is_written_quoted(home: Home) -> None:
    """A GOBIN from the go env file with `$(…)`, backticks and quotes: the fix's line adds exactly
    that folder to PATH, and nothing in it ever runs (not in the trial, not after)."""
    pwned = home.p("pwned")
    gobin = home.p("bin$(touch " + pwned + ")`touch " + pwned + "2`'q\"")
    home.file(".config/go/env", f"GOBIN={gobin}\n")
    home.file(".bashrc", f"export PATH={GO_DIR}:$PATH\n")
    d = run(home)
    f = finding(d, "GOENV-GOBIN-001")
    [p] = d.plans[f.id]
    out = apply_fix(LocalHost(), opts(home), None, d, p)
    assert out.applied and out.cleared, out.verdict
    assert not os.path.exists(pwned) and not os.path.exists(pwned + "2")
    t = {t.id: t for t in out.after.facts.contexts}["bash-nologin-interactive"]
    assert gobin in t.env["PATH"].split(":")
    assert syntax_ok(home.p(".bashrc"))


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_3_the_path_line_is_data_in_every_shell(tmp_path, shell: str) -> None:
    home = str(tmp_path)
    weird = f"{home}/a b$(touch {home}/x)`touch {home}/y`'\"\\n$HOME"
    line = edits.add_path_line(weird, home, fish=shell == "fish")
    script = tmp_path / "rc"
    script.write_text(line + "\n" + line + "\n" + ("printf '%s\\n' $PATH" if shell == "fish" else 'printf "%s\\n" "$PATH"'))
    argv = {"bash": ["bash", "--norc", "--noprofile"], "zsh": ["zsh", "-f"], "fish": ["fish", "--no-config"]}[shell]
    res = subprocess.run([*argv, str(script)], capture_output=True, text=True, timeout=20,
                         env={"PATH": "/usr/bin:/bin", "HOME": home})
    assert res.returncode == 0, res.stderr
    entries = res.stdout.split("\n") if shell == "fish" else res.stdout.rstrip("\n").split(":")
    assert entries.count(weird) == 1, res.stdout  # added once, literally
    assert not os.path.exists(f"{home}/x") and not os.path.exists(f"{home}/y")


# --- 4. bytes ---------------------------------------------------------------------------------------

def test_4_bytes_are_kept_and_lines_are_the_shells(home: Home) -> None:
    """Latin-1 bytes, a form feed and U+2028 before the line: the right line is edited, every
    other byte comes back as it was, and undo restores the file byte for byte."""
    original = (b"# caf\xe9 (latin-1)\n# page\x0cbreak\n# sep\xe2\x80\xa8here\n"
                + f"export PATH={GO_DIR}:$PATH\n".encode() + b"GOFLAGS=-v\n# tail \xff\n")
    home.raw(".bashrc", original)
    d = run(home)
    f = finding(d, "GOENV-EXPORT-001")
    [p] = d.plans[f.id]
    assert "+export GOFLAGS=-v" in p.fix.preview and "\\xe9" in p.fix.preview or "GOFLAGS" in p.fix.preview
    out = apply_fix(LocalHost(), opts(home), None, d, p)
    assert out.applied and out.cleared, out.verdict
    assert Path(home.p(".bashrc")).read_bytes() == original.replace(b"\nGOFLAGS=-v\n", b"\nexport GOFLAGS=-v\n")
    undo(LocalHost(), home.path, out.entry.id)
    assert Path(home.p(".bashrc")).read_bytes() == original


def test_4_lines_split_on_newline_only() -> None:
    text = from_bytes(b"a\x0cb\nc\xe2\x80\xa8d\ne\xe9\n")
    assert edits.span(text, 3) == (3, 3)
    new = edits.export_statement(text, 3)
    assert to_bytes(new) == b"a\x0cb\nc\xe2\x80\xa8d\nexport e\xe9\n"


# --- 5. symlinked dotfiles --------------------------------------------------------------------------

@pytest.mark.parametrize("relative", [True, False])
def test_5_a_symlinked_dotfile_is_edited_through_its_link(home: Home, relative: bool) -> None:
    """stow/rcup: ~/.bashrc links into ~/dotfiles. The target is edited, the preview says so, the
    link stays a link, and undo restores the target with the link intact."""
    original = f"export PATH={GO_DIR}:$PATH\nGOFLAGS=-v\n".encode()
    home.raw("dotfiles/bash/.bashrc", original)
    home.symlink(".bashrc", "dotfiles/bash/.bashrc" if relative else home.p("dotfiles/bash/.bashrc"))
    link_before = os.readlink(home.p(".bashrc"))
    d = run(home)
    f = finding(d, "GOENV-EXPORT-001")
    [p] = d.plans[f.id]
    assert p.edits[0].path == home.p("dotfiles/bash/.bashrc") and p.edits[0].link == home.p(".bashrc")
    assert "~/.bashrc is a symlink: its target ~/dotfiles/bash/.bashrc is edited, the link is kept" in p.fix.preview
    out = apply_fix(LocalHost(), opts(home), None, d, p)
    assert out.applied and out.cleared, out.verdict
    assert os.path.islink(home.p(".bashrc")) and os.readlink(home.p(".bashrc")) == link_before
    assert b"export GOFLAGS=-v" in Path(home.p("dotfiles/bash/.bashrc")).read_bytes()
    undo(LocalHost(), home.path, out.entry.id)
    assert os.path.islink(home.p(".bashrc")) and os.readlink(home.p(".bashrc")) == link_before
    assert Path(home.p("dotfiles/bash/.bashrc")).read_bytes() == original


# --- 6. two fixes at once -----------------------------------------------------------------------------

@pytest.mark.slow
def test_6_two_fixes_at_once_on_one_file_lose_nothing(home: Home) -> None:
    home.file(".bashrc", f"export PATH={GO_DIR}:$PATH\nGOFLAGS=-v\nGOPROXY=direct\n")
    d = run(home)
    ids = [f.id for f in d.findings if f.check == "GOENV-EXPORT-001"]
    assert len(ids) == 2
    base = [sys.executable, "-m", "goenv_tui", "fix", "--yes", "--no-probes", "--home", home.path,
            "--shell", "bash", "--login-shell", "/bin/bash"]
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    procs = [subprocess.Popen([*base[:4], fid, *base[4:]], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for fid in ids]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    final = Path(home.p(".bashrc")).read_text()
    applied = [fid for fid, (rc, out, err) in zip(ids, results, strict=True) if rc == 0]
    refused = [fid for fid, (rc, out, err) in zip(ids, results, strict=True) if "changed since it was read" in err]
    assert applied, results
    assert len(applied) + len(refused) == 2, results
    journal = [e for e in Journal(LocalHost(), home.path).entries() if e.state == "applied"]
    assert len(journal) == len(applied)
    # Every edit a process said it applied is in the file.
    var = {f.id: f.variable for f in d.findings}
    for fid, (rc, _out, _err) in zip(ids, results, strict=True):
        assert (f"export {var[fid]}=" in final) == (rc == 0), (final, results)


# --- 8. the file the fix edits is read by every context it is for ---------------------------------

def test_8_go_for_zsh_c_is_added_where_zsh_c_reads_it(home: Home) -> None:
    home.file(".zshenv", "export EDITOR=vi\n")
    home.file(".zshrc", f"export PATH={GO_DIR}:$PATH\n")
    d = run(home, ("zsh",), "/bin/zsh")
    f = finding(d, "GOENV-GO-002")
    [p] = d.plans[f.id]
    assert [e.path for e in p.edits] == [home.p(".zshenv")], p.fix.title


def test_8_no_fix_when_no_file_is_read_by_every_context_it_is_for(home: Home) -> None:
    home.file(".bash_profile", "export EDITOR=vi\n")
    home.file(".bashrc", f"case $- in *i*) ;; *) return;; esac\nexport PATH={GO_DIR}:$PATH\n")
    d = run(home)
    f = finding(d, "GOENV-GO-002")
    assert not [p for p in d.plans.get(f.id, []) if p.id == "add-to-path"]
    assert any("no startup file of the home is read by every bash context" in why for why in d.refused[f.id]), d.refused


# --- 9. undo chain ---------------------------------------------------------------------------------------

def test_9_undoing_an_older_fix_undoes_the_later_ones_first(home: Home) -> None:
    original = f"export PATH={GO_DIR}:$PATH\nGOFLAGS=-v\nGOPROXY=direct\n".encode()
    home.raw(".bashrc", original)
    d = run(home)
    f1 = [f for f in d.findings if f.check == "GOENV-EXPORT-001"][0]
    out1 = apply_fix(LocalHost(), opts(home), None, d, d.plans[f1.id][0])
    assert out1.applied
    d2 = run(home)
    f2 = [f for f in d2.findings if f.check == "GOENV-EXPORT-001"][0]
    out2 = apply_fix(LocalHost(), opts(home), None, d2, d2.plans[f2.id][0])
    assert out2.applied
    assert [e.id for e in undo_chain(LocalHost(), home.path, out1.entry.id)] == [out2.entry.id, out1.entry.id]
    res = subprocess.run([sys.executable, "-m", "goenv_tui", "undo", out1.entry.id, "--yes", "--home", home.path],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert f"Undoing {out2.entry.id} first" in res.stdout
    assert Path(home.p(".bashrc")).read_bytes() == original
    assert {e.state for e in Journal(LocalHost(), home.path).entries()} == {"undone"}


def test_9_undo_without_an_id_undoes_the_latest(home: Home) -> None:
    original = f"export PATH={GO_DIR}:$PATH\nGOFLAGS=-v\n".encode()
    home.raw(".bashrc", original)
    d = run(home)
    f = finding(d, "GOENV-EXPORT-001")
    out = apply_fix(LocalHost(), opts(home), None, d, d.plans[f.id][0])
    base = [sys.executable, "-m", "goenv_tui", "undo", "--home", home.path]
    asked = subprocess.run(base, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert asked.returncode == 2 and "--yes" in asked.stderr and out.entry.id in asked.stdout
    assert Path(home.p(".bashrc")).read_bytes() != original
    done = subprocess.run([*base, "--yes"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and f"Undone {out.entry.id}" in done.stdout, done
    assert Path(home.p(".bashrc")).read_bytes() == original
    again = subprocess.run([*base, "--yes"], capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "Nothing to undo" in again.stdout


# --- A. verified before applied, re-checked after ----------------------------------------------------

def test_a_a_real_result_that_differs_from_the_trial_is_rolled_back(home: Home) -> None:
    """Pretend a trial said safe for an edit that loses go: the re-check after the real write sees
    it, restores the file byte for byte and says why."""
    original = f"# go\nexport PATH={GO_DIR}:$PATH\nGOFLAGS=-v\n".encode()
    home.raw(".bashrc", original)
    d = run(home)
    f = finding(d, "GOENV-EXPORT-001")
    text = original.decode()
    bad = manual(d, f, home.p(".bashrc"), text, text.replace("export PATH=", "#export PATH=").replace("GOFLAGS", "export GOFLAGS"))
    lying = Trial(True, True, True, contexts=("bash-nologin-interactive",))
    out = apply_fix(LocalHost(), opts(home), None, d, bad, trial=lying)
    assert out.rolled_back and not out.applied
    assert out.verdict.startswith("Rolled back: the real result differed from the trial")
    assert "loses go" in out.verdict, out.verdict
    assert Path(home.p(".bashrc")).read_bytes() == original
    [entry] = Journal(LocalHost(), home.path).entries()
    assert entry.state == "rolled-back"


def test_a_cli_not_safe_is_refused_and_exit_1(home: Home) -> None:
    """`fix` shows the trial's verdict in the preview and refuses what is not safe (exit 1);
    --force-unsafe is the explicit override."""
    home.file(".zprofile", f"export PATH={GO_DIR}:$PATH\n")
    home.file(".zshrc", f"export PATH={GO_DIR}:$PATH\n")
    d = run(home, ("zsh",), "/bin/zsh")
    f = finding(d, "GOENV-PATH-004")
    base = [sys.executable, "-m", "goenv_tui", "fix", f.id, "--no-probes", "--home", home.path, "--shell", "zsh",
            "--login-shell", "/bin/zsh"]
    dry = subprocess.run([*base, "--dry-run"], capture_output=True, text=True, timeout=120)
    assert "Trial: " in dry.stdout, dry.stdout
    trial_line = next(ln for ln in dry.stdout.splitlines() if ln.startswith("Trial: "))
    before = tree(home)
    res = subprocess.run([*base, "--yes"], capture_output=True, text=True, timeout=120)
    if "not safe" in trial_line:
        assert res.returncode == 1 and "not applied: not safe" in res.stderr, res
        assert tree(home) == before
    else:
        assert res.returncode == 0 and "verified" in res.stdout, res


def test_2g_a_line_moved_to_zshenv_keeps_what_it_uses(home: Home) -> None:
    """`export PATH=$TOOLS:$PATH` in ~/.zshrc, with TOOLS set in ~/.zshrc: moved to ~/.zshenv
    (read before ~/.zshrc) it would add an empty entry; refused."""
    home.file(".zshenv", "export EDITOR=vi\n")
    home.file(".zshrc", f"TOOLS={GO_DIR}\nexport PATH=$TOOLS:$PATH\n")
    d = run(home, ("zsh",), "/bin/zsh")
    fs = [f for f in d.findings if f.check == "GOENV-CTXDIFF-002"]
    assert fs, [(f.id, f.title) for f in d.findings]
    for f in fs:
        assert not [p for p in d.plans.get(f.id, []) if p.id.startswith("move-to")]
        assert any("uses $TOOLS, which ~/.zshrc sets" in why for why in d.refused[f.id]), d.refused


def test_a_the_trial_writes_nothing_into_the_home_even_through_compinit(home: Home) -> None:
    """A zsh that runs compinit (which may rewrite ~/.zcompdump) traced in the private home: the
    real home, ~/.zcompdump included, is left as it was (shell state files are private copies
    there, so a write cannot follow a symlink back into the home)."""
    home.file(".zcompdump", "#files: 0\told\n")
    home.file(".zshenv", f"export PATH={GO_DIR}:$PATH\n")
    home.file(".zshrc", "autoload -Uz compinit\ncompinit\nGO111MODULE=on\n")
    d = run(home, ("zsh",), "/bin/zsh")
    f = finding(d, "GOENV-EXPORT-001")
    before = tree(home)
    t = run_trial(LocalHost(), opts(home, ("zsh",), "/bin/zsh"), None, d, d.plans[f.id][0], use_cache=False)
    assert t.tried and t.contexts
    assert tree(home) == before
