"""The wizard, step by step with the Pilot (and a snapshot of each step), resuming after a quit,
and end to end in tmux on a broken home until `go build` works in the chosen context."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Static

from goenv_tui.shells.tracer import TraceOptions
from goenv_tui.ui.wizard import WizardApp, WizardState, contexts_for
from tests import gotools
from tests.homes import Home, goenv_tui_exe
from tests.tmux import Terminal
from tests.ui.fixtures import ROOT, FixedEtcHost, until

# The workspace sits in the home, so the wizard shows it as ~/src/hello whatever the run's tmp folder.
WS = ROOT / "wizard-home" / "src" / "hello"


def wizard_home(real_go: bool = False) -> Home:
    """Go is on PATH only after the non-interactive guard: `ssh host cmd` and Remote-SSH lack it."""
    path = ROOT / "wizard-home"
    if path.exists():
        shutil.rmtree(path)
    home = Home(path)
    if real_go:
        gocache = subprocess.run([gotools.go(), "env", "GOCACHE"], capture_output=True, text=True).stdout.strip()
        go_dir = os.path.dirname(gotools.go())
        extra = f"export GOCACHE={gocache}\n"
    else:
        home.file("sdk/go1.22.5/VERSION", "go1.22.5\n")
        home.file("sdk/go1.22.5/bin/go", "#!/bin/sh\necho 'go version go1.22.5 linux/amd64'\n", mode=0o755)
        go_dir = "$HOME/sdk/go1.22.5/bin"
        extra = ""
    home.file(".profile", '# as Debian ships it\n[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"\n')
    home.file(".bashrc", f"export GOTOOLCHAIN=local\n{extra}case $- in *i*) ;; *) return;; esac\nexport PATH={go_dir}:$PATH\n")
    if WS.exists():
        shutil.rmtree(WS)
    WS.mkdir(parents=True)
    (WS / "go.mod").write_text("module example.com/w\n\ngo 1.21\n")
    (WS / "main.go").write_text('package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n')
    return home


def make(home: Home, fresh: bool = True) -> WizardApp:
    opts = TraceOptions(home=home.path, shells=("bash",), login_shell="/bin/bash")
    return WizardApp(opts, str(WS), host=FixedEtcHost(), stable=True, fresh=fresh)


async def to_problems(app: WizardApp, pilot, editor: str = "remote-ssh") -> None:
    lst = app.query_one("#wiz-editor", OptionList)
    lst.focus()
    lst.highlighted = [o.id for o in lst._options].index(editor)
    await pilot.press("enter")
    await pilot.pause()
    assert app.current == "workspace"
    await pilot.press("enter")  # the default workspace
    await until(pilot, lambda: app.current in ("problems", "verify") and not app.busy)


def test_contexts_for_each_way_of_starting_the_editor() -> None:
    assert contexts_for("remote-ssh", "/bin/bash", "linux") == ["bash-sshd-command", "bash-login-interactive"]
    assert contexts_for("vscode-gui", "/bin/zsh", "darwin") == ["zsh-login-interactive"]
    assert contexts_for("terminal", "/bin/zsh", "linux") == ["zsh-nologin-interactive"]
    assert contexts_for("ssh-cmd", "/usr/bin/zsh", "linux") == ["zsh-sshd-command"]


async def test_every_step_and_the_saved_progress() -> None:
    home = wizard_home()
    app = make(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await to_problems(app, pilot)
        assert app.current == "problems"
        first = app.problems[0]
        assert first.check == "GOENV-GO-002" and "bash-sshd-command" in first.title
        assert WizardState.load(app.host, home.path).step == "problems"
        await pilot.press("a")
        await until(pilot, lambda: app.last_outcome is not None and not app.busy)
        assert app.last_outcome.cleared, app.last_outcome.verdict
        assert app.diagnosis.facts.probes_ran  # the problems left are planned with live probe results
        while app.current == "problems":
            await pilot.press("s")
            await pilot.pause()
        await until(pilot, lambda: app.current == "verify" and not app.busy)
        verify = str(app.query_one("#wiz-verify", Static).render())
        assert "✓ go build" in verify
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.current == "summary"
        summary = str(app.query_one("#wiz-summary", Static).render())
        assert "Add $HOME/sdk/go1.22.5/bin to PATH" in summary.replace("~/sdk", "$HOME/sdk") or "to PATH in ~/.bashrc" in summary
        assert "undo: goenv-tui undo " in summary


async def test_back_and_a_bad_workspace() -> None:
    app = make(wizard_home())
    async with app.run_test(size=(100, 30)) as pilot:
        app.query_one("#wiz-editor").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.current == "workspace"
        app.query_one("#wiz-workspace", Input).value = "/nonexistent/folder"
        await pilot.press("enter")
        await pilot.pause()
        assert app.current == "workspace"
        assert "is not a folder" in str(app.query_one("#wiz-workspace-error", Static).render())
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert app.current == "editor"


async def test_resume_after_quitting() -> None:
    home = wizard_home()
    app = make(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await to_problems(app, pilot)
    again = make(home, fresh=False)
    async with again.run_test(size=(100, 30)) as pilot:
        assert again.resumable
        assert "Press r to resume" in str(again.query_one("#wiz-resume", Static).render())
        await pilot.press("r")
        await until(pilot, lambda: again.current == "problems" and not again.busy)
        assert again.state.editor == "remote-ssh" and again.state.workspace == str(WS)


@pytest.mark.parametrize("step", ["editor", "workspace", "problems", "verify", "summary"])
def test_wizard_step_snapshot(snap_compare, step: str) -> None:
    home = wizard_home()
    app = make(home)

    async def run_before(pilot) -> None:
        if step == "editor":
            return
        if step == "workspace":
            app.query_one("#wiz-editor").focus()
            await pilot.press("down", "down", "enter")
            await pilot.pause()
            return
        await to_problems(app, pilot)
        if step in ("verify", "summary"):
            await pilot.press("a")
            await until(pilot, lambda: app.last_outcome is not None and not app.busy)
            while app.current == "problems":
                await pilot.press("s")
                await pilot.pause()
            await until(pilot, lambda: app.current == "verify" and not app.busy)
        if step == "summary":
            await pilot.press("ctrl+n")
            await pilot.pause()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


@pytest.mark.slow
def test_wizard_end_to_end_in_tmux(tmp_path: Path) -> None:
    exe = goenv_tui_exe()
    home = wizard_home(real_go=True)
    command = f"cd {WS} && {exe} wizard --home {home.path} --shell bash --login-shell /bin/bash --start-over"
    with Terminal(command, tmp_path, size=(100, 30)) as term:
        term.wait("How do you run Go code")
        term.send("Down", "Down", "Enter")  # VS Code Remote-SSH
        term.wait("Which folder")
        term.send("Enter")
        term.wait("Apply fix (a)")  # the fix's diff is further down, in the scrolled part
        assert "go is not found in Remote-SSH" in term.screen()
        term.send("a")
        term.wait("Problem 2 of")
        for _ in range(12):
            if "Checked in " in term.screen():
                break
            term.send("s")
            time.sleep(0.5)
        term.wait("Checked in ", timeout=120)
        assert "✓ go build" in term.screen()
        term.send("C-n")
        # gopls and dlv are not on this home's PATH: the end says so instead of "Done".
        term.wait(lambda: "Not done yet" in term.screen() or "should work now" in term.screen(), "the end screen")
        assert "Done." not in term.screen()
        term.send("q")
        assert term.exit_status() == "EXIT=0"
    # The fix is real: `go build` works in the environment sshd gives `ssh host cmd`.
    env = {"HOME": home.path, "PATH": "/usr/local/bin:/usr/bin:/bin", "SSH_CLIENT": "127.0.0.1 1 22"}
    res = subprocess.run(["bash", "-c", "go build -o /dev/null . && echo BUILD-OK"], cwd=WS, env=env,
                         capture_output=True, text=True, timeout=120)
    assert "BUILD-OK" in res.stdout, res.stderr


def test_the_typed_workspace_is_read_against_the_diagnosed_home() -> None:
    home = wizard_home()
    app = make(home)
    assert app.workspace_path("") == str(WS)
    assert app.workspace_path("  ~/src/app ") == home.p("src/app")
    assert app.workspace_path("~") == home.path
    assert app.workspace_path("sub/../pkg") == str(WS / "pkg")
    assert app.workspace_path("/abs/olute") == "/abs/olute"


async def test_ctrl_n_on_the_workspace_step_goes_on() -> None:
    """Issue 14 item 5: ctrl+n there called the async Input.action_submit without awaiting it."""
    app = make(wizard_home())
    async with app.run_test(size=(100, 30)) as pilot:
        app.query_one("#wiz-editor").focus()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.current == "workspace"
        assert app.query_one("#wiz-workspace", Input).value == "~/src/hello"
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.current in ("diagnose", "problems", "verify")
        await until(pilot, lambda: not app.busy, "the diagnosis")
        assert app.state.workspace == str(WS)


async def test_wizard_offers_to_install_gopls_the_go_can_build(tmp_path: Path) -> None:
    """No gopls, no dlv: the wizard does not end "1 of 3 checks pass" — it offers the install, pinned
    to the release the context's Go can build (asked of a local module proxy), and it works."""
    from goenv_tui.collect import toolversions
    from tests.modproxy import NOSUMDB, tools_proxy

    toolversions.clear_cache()
    proxy = tools_proxy(tmp_path / "proxy", {"v0.10.0": "1.19", "v0.11.0": "1.27.0"}, {"v1.27.2": "1.25.0"})
    gocache = subprocess.run([gotools.go(), "env", "GOCACHE"], capture_output=True, text=True).stdout.strip()
    home = Home(tmp_path / "home")
    home.file(".profile", '[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"\n')
    home.file(".bashrc", f'export PATH="{os.path.dirname(gotools.go())}:$HOME/go/bin:$PATH"\nexport GOTOOLCHAIN=local\n'
                         f"export GOPROXY={proxy.url}\nexport GONOSUMDB={NOSUMDB}\nexport GOCACHE={gocache}\n"
                         f"export GOMODCACHE={tmp_path}/modcache\nexport GOFLAGS=-modcacherw\n")
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "go.mod").write_text("module example.com/w\n\ngo 1.21\n")
    (ws / "main.go").write_text('package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n')
    app = WizardApp(TraceOptions(home=home.path, shells=("bash",), login_shell="/bin/bash"), str(ws),
                    stable=True, fresh=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await to_problems(app, pilot, editor="vscode-gui")
        tools = [f for f in app.problems if f.check == "GOENV-TOOLS-005"]
        assert {f.data["tool"] for f in tools} == {"gopls", "dlv"}
        while app.problems[app.state.index].check != "GOENV-TOOLS-005" or app.problems[app.state.index].data["tool"] != "gopls":
            await pilot.press("s")
            await pilot.pause()
        shown = str(app.query_one("#wiz-problem", Static).render())
        assert "gopls is not installed" in shown and "gopls@v0.10.0" in shown
        await pilot.press("a")
        await until(pilot, lambda: app.last_outcome is not None and not app.busy, "the install", timeout=120)
        assert app.last_outcome.cleared, (app.last_outcome.verdict, app.last_outcome.output)
        await pilot.pause(0.3)  # the next problem is shown on a timer
    assert os.path.exists(home.p("go/bin/gopls"))
    toolversions.clear_cache()


async def test_problems_in_plain_words_no_apply_without_a_fix_and_an_honest_end() -> None:
    """Issue 17 items 7–9: the editor's problems first and without context ids; no "Apply fix"
    where there is none; the end says what still blocks the editor and what to do by hand."""
    home = wizard_home()
    home.file(".bashrc", (Path(home.p(".bashrc")).read_text() + "export GOPATH=$HOME/sdk/go1.22.5\n"))
    app = make(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await to_problems(app, pilot)
        ids = [t.id for t in app.diagnosis.facts.contexts]
        seen_without_fix = False
        while app.current == "problems":
            shown = str(app.query_one("#wiz-problem", Static).render())
            assert not any(cid in shown for cid in ids), shown
            f = app.problems[app.state.index]
            if f.id in app.own:
                assert "that keep VS Code Remote-SSH from working" in shown
            else:
                assert shown.startswith("Also worth fixing")
                assert all(p.id in app.own for p in app.problems[: app.state.index])  # own ones came first
            if not app.diagnosis.plans.get(f.id):
                seen_without_fix = True
                assert not app.query_one("#wiz-apply").display
                assert "by hand" in shown
            else:
                assert app.query_one("#wiz-apply").display
            await pilot.press("s")
            await pilot.pause()
        assert seen_without_fix
        await until(pilot, lambda: app.current == "verify" and not app.busy, "the verification")
        verify = str(app.query_one("#wiz-verify", Static).render())
        assert "go build" in verify and "gopls" in verify and "dlv debug" in verify  # all three, found or not
        await pilot.press("ctrl+n")
        await pilot.pause()
        summary = str(app.query_one("#wiz-summary", Static).render())
        assert summary.startswith("Not done yet: VS Code Remote-SSH is still blocked.")
        assert "What still blocks it" in summary and "What you must do by hand" in summary
        assert "go is not found in Remote-SSH" in summary  # skipped, so still there, in plain words
        assert "Done." not in summary
