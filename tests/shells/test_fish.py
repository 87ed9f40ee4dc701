"""The fish tracer on real fish, in fixture homes: exact file:line, op and values."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time

import jsonschema
import psutil
import pytest

from goenv_tui.host import LocalHost
from goenv_tui.model import ContextSpec, Location, Op, TraceStatus
from goenv_tui.report import to_json
from goenv_tui.shells.contexts import all_specs, is_primary, used_by
from goenv_tui.shells.registry import make_driver
from tests.homes import Home, changes, only_change, snapshot
from tests.test_report import SCHEMA

pytestmark = pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")

FISH = ("fish",)
LOGIN = "/usr/bin/fish"
CONFIG = ".config/fish/config.fish"
CONF_D = ".config/fish/conf.d"
UVARS = ".config/fish/fish_variables"


def run(home: Home, context: str = "fish-nologin-interactive", timeout: float = 5.0):
    return home.trace(shells=FISH, login_shell=LOGIN, only=(context,), timeout=timeout)[context]


def mine(home: Home, trace) -> list[str]:
    return [f.path[len(home.path) + 1:] for f in trace.files if f.path.startswith(home.path + "/")]


def test_contexts_and_who_uses_them() -> None:
    ids = [s.id for s in all_specs(FISH)]
    assert ids == ["fish-login-interactive", "fish-login-noninteractive",
                   "fish-nologin-interactive", "fish-nologin-noninteractive", "fish-sshd-command"]
    assert [s.id for s in all_specs()] == [s.id for s in all_specs(("bash", "zsh"))]  # default unchanged
    spec = {s.id: s for s in all_specs(FISH)}
    gui = used_by(spec["fish-login-interactive"], "linux", LOGIN)
    assert "VS Code started from the Dock/launcher (`$SHELL -i -l -c`)" in gui
    assert "`ssh host cmd`" in used_by(spec["fish-sshd-command"], "linux", LOGIN)
    assert "`ssh host cmd`" not in used_by(spec["fish-nologin-noninteractive"], "linux", LOGIN)
    assert "VS Code integrated terminal (Linux)" in used_by(spec["fish-nologin-interactive"], "linux", LOGIN)
    assert is_primary(spec["fish-sshd-command"], "linux", LOGIN)
    assert not is_primary(spec["fish-nologin-noninteractive"], "linux", LOGIN)
    assert not is_primary(spec["fish-login-noninteractive"], "linux", LOGIN)
    assert not is_primary(spec["fish-login-interactive"], "linux", "/bin/bash")
    driver = make_driver("fish", LocalHost())
    assert driver.argv(ContextSpec("x", "fish", True, True), "/usr/bin/fish", "true") == ["/usr/bin/fish", "-l", "-i", "-c", "true"]


def test_every_context_reads_every_file_conf_d_first_in_name_order(home: Home) -> None:
    home.file(f"{CONF_D}/10-b.fish", "set -gx GOENV_TEST_B 1\n")
    home.file(f"{CONF_D}/02-a.fish", "set -gx GOENV_TEST_A 1\n")
    home.file(f"{CONF_D}/notes.txt", "set -gx GOENV_TEST_TXT 1\n")  # not *.fish: never read
    home.file(CONFIG, "set -gx GOENV_TEST_C 1\n")
    traces = home.trace(shells=FISH, login_shell=LOGIN)
    assert set(traces) == {s.id for s in all_specs(FISH)}
    for t in traces.values():
        assert t.status is TraceStatus.OK, t.error
        assert mine(home, t) == [f"{CONF_D}/02-a.fish", f"{CONF_D}/10-b.fish", CONFIG]
        assert [f.order for f in t.files] == list(range(1, len(t.files) + 1))
        assert all(f.sourced_from is None for f in t.files)  # fish reads them itself
        # fish's own setup comes first, the user's config.fish last.
        assert t.files[0].path.endswith("/fish/config.fish") and t.files[-1].path == home.p(CONFIG)
        assert [a.location.path for a in t.assignments if a.var.startswith("GOENV_TEST")] == [
            home.p(f"{CONF_D}/02-a.fish"), home.p(f"{CONF_D}/10-b.fish"), home.p(CONFIG)]
        assert "GOENV_TEST_TXT" not in t.env


def test_set_gx_and_set_g(home: Home) -> None:
    home.file(CONFIG, """
        # Go
        set -gx GOPATH $HOME/go
        set -g GOFLAGS -mod=mod
        set -x GOBIN $GOPATH/bin
    """)
    t = run(home)
    assert changes(t, "GOPATH", home) == [("~/.config/fish/config.fish", 2, "export", f"{home.path}/go")]
    assert changes(t, "GOFLAGS", home) == [("~/.config/fish/config.fish", 3, "set", "-mod=mod")]
    assert changes(t, "GOBIN", home) == [("~/.config/fish/config.fish", 4, "export", f"{home.path}/go/bin")]
    flags = only_change(t, "GOFLAGS")
    assert not flags.exported and flags.before is None and flags.command == "set -g GOFLAGS -mod=mod"
    assert t.env["GOPATH"] == f"{home.path}/go" and "GOFLAGS" not in t.env
    assert t.watched["GOFLAGS"] == "-mod=mod"  # set in fish, not exported


def test_status_is_login_and_is_interactive_branches(home: Home) -> None:
    home.file(CONFIG, """
        if status is-login
            set -gx GOPROXY https://login.example
        else
            set -gx GOPROXY direct
        end
        if status is-interactive
            set -gx GOFLAGS -v
        end
    """)
    traces = home.trace(shells=FISH, login_shell=LOGIN)
    got = {cid: (changes(t, "GOPROXY", home), changes(t, "GOFLAGS", home)) for cid, t in traces.items()}
    login = [("~/.config/fish/config.fish", 2, "export", "https://login.example")]
    other = [("~/.config/fish/config.fish", 4, "export", "direct")]
    flags = [("~/.config/fish/config.fish", 7, "export", "-v")]
    assert got == {
        "fish-login-interactive": (login, flags),
        "fish-login-noninteractive": (login, []),
        "fish-nologin-interactive": (other, flags),
        "fish-nologin-noninteractive": (other, []),
        "fish-sshd-command": (other, []),
    }
    t = traces["fish-nologin-noninteractive"]
    assert (home.p(CONFIG), 4) in t.executed and (home.p(CONFIG), 2) not in t.executed


def test_function_defined_in_conf_d_called_from_config(home: Home) -> None:
    home.file(f"{CONF_D}/paths.fish", """
        function addgo
            set -gx PATH $argv[1] $PATH
        end
    """)
    home.file(CONFIG, """
        # tools
        addgo /opt/go/bin
    """)
    t = run(home)
    a = only_change(t, "PATH")
    assert (a.location.path, a.location.line, a.via, a.op) == (home.p(f"{CONF_D}/paths.fish"), 2, "function addgo", Op.PREPEND)
    assert (a.call_site.path, a.call_site.line) == (home.p(CONFIG), 2)
    assert a.value == "/opt/go/bin:" + a.before and t.env["PATH"] == a.value


def test_fish_add_path_global(home: Home) -> None:
    home.dir("go/bin")
    home.file(CONFIG, """
        set -gx GOPATH $HOME/go
        fish_add_path -g $HOME/go/bin
    """)
    t = run(home)
    a = only_change(t, "PATH")
    assert (a.location.path, a.location.line, a.via, a.op) == (home.p(CONFIG), 2, "function fish_add_path", Op.PREPEND)
    assert a.call_site is None and a.command == f"fish_add_path -g {home.path}/go/bin"
    assert t.env["PATH"] == f"{home.path}/go/bin:" + a.before
    assert not (home.root / UVARS).exists()  # -g: nothing universal was written


def test_fish_add_path_credited_to_config_and_fish_state_left_as_it_was(home: Home) -> None:
    home.dir("sdk/bin")
    home.file(CONFIG, "# sdk\nfish_add_path $HOME/sdk/bin\n")
    before = snapshot(home.root)
    first = run(home, "fish-login-noninteractive")
    a = only_change(first, "PATH")
    assert (a.location.path, a.location.line, a.via, a.op) == (home.p(CONFIG), 2, "function fish_add_path", Op.PREPEND)
    assert first.env["PATH"].startswith(f"{home.path}/sdk/bin:")
    # Tracing ran in a private copy of fish's state: no fish_variables, no ~/.local/share/fish.
    assert snapshot(home.root) == before
    # So a second trace (or a parallel one) still credits config.fish, not a fish_variables the
    # first one created.
    again = run(home, "fish-login-noninteractive")
    assert only_change(again, "PATH").location == a.location and again.env["PATH"] == first.env["PATH"]
    # A real start stores it in the universal fish_user_paths ...
    subprocess.run([shutil.which("fish") or "fish", "-l", "-c", "true"], env={"HOME": home.path, "PATH": "/usr/bin:/bin"},
                   check=True, timeout=30)
    stored = (home.root / UVARS).read_text().splitlines()
    line = next(i for i, s in enumerate(stored, start=1) if s.startswith("SETUVAR fish_user_paths:"))
    # ... so from then on PATH gets it from fish_variables, and fish_add_path changes nothing.
    real = snapshot(home.root)
    later = run(home, "fish-login-noninteractive")
    b = only_change(later, "PATH")
    assert (b.location.path, b.location.line, b.via, b.op) == (home.p(UVARS), line, "universal", Op.PREPEND)
    assert later.env["PATH"] == first.env["PATH"]
    assert mine(home, later)[0] == UVARS
    assert snapshot(home.root) == real


def test_universal_variables_from_fish_variables(home: Home) -> None:
    home.raw(UVARS, (
        b"# This file contains fish universal variable definitions.\n"
        b"# VERSION: 3.0\n"
        b"SETUVAR --export GOPROXY:off\n"
        b"SETUVAR fish_user_paths:/u/bin\\x1e/u2/bin\n"
    ))
    home.file(CONFIG, "set -gx GOFLAGS -v\n")
    t = run(home, "fish-nologin-noninteractive")
    path = only_change(t, "PATH")
    assert (path.location.path, path.location.line, path.via, path.op) == (home.p(UVARS), 4, "universal", Op.PREPEND)
    assert path.value == "/u/bin:/u2/bin:" + path.before
    proxy = only_change(t, "GOPROXY")
    assert (proxy.location.path, proxy.location.line, proxy.via, proxy.op, proxy.value) == (
        home.p(UVARS), 3, "universal", Op.EXPORT, "off")
    assert t.env["GOPROXY"] == "off" and t.env["PATH"].startswith("/u/bin:/u2/bin:")
    assert mine(home, t) == [UVARS, CONFIG]


def test_set_e_unsets(home: Home) -> None:
    home.file(f"{CONF_D}/go.fish", "set -gx GOROOT /opt/go\n")
    home.file(CONFIG, "set -e GOROOT\n")
    t = run(home)
    assert changes(t, "GOROOT", home) == [("~/.config/fish/conf.d/go.fish", 1, "export", "/opt/go"),
                                          ("~/.config/fish/config.fish", 1, "unset", None)]
    assert "GOROOT" not in t.env and "GOROOT" not in t.watched


def test_source_psub(home: Home) -> None:
    home.file(CONFIG, """
        true
        source (echo 'set -gx GOFLAGS -v' | psub)
        set -gx GOSUMDB off
    """)
    t = run(home)
    a = only_change(t, "GOFLAGS")
    assert (a.location.path, a.location.line, a.via, a.op, a.value) == (home.p(CONFIG), 2, "source", Op.EXPORT, "-v")
    assert changes(t, "GOSUMDB", home) == [("~/.config/fish/config.fish", 3, "export", "off")]
    assert mine(home, t) == [CONFIG]  # the psub temp file is a stream, not a startup file


def test_return_ends_the_file_early(home: Home) -> None:
    home.file(CONFIG, """
        set -gx GOBIN /b
        return
        set -gx GOBIN /never
    """)
    t = run(home)
    assert t.status is TraceStatus.OK
    assert [(r.path, r.line) for r in t.early_returns] == [(home.p(CONFIG), 2)]
    assert changes(t, "GOBIN", home) == [("~/.config/fish/config.fish", 1, "export", "/b")]


def test_exit_in_a_function_ends_the_startup_file(home: Home) -> None:
    home.file(CONFIG, """
        set -gx GOBIN /b
        function bail
            exit 3
        end
        bail
        set -gx GOBIN /never
    """)
    t = run(home)
    assert t.status is TraceStatus.OK  # fish stops reading the file, then runs the command
    assert [(r.path, r.line) for r in t.early_returns] == [(home.p(CONFIG), 5)]
    assert t.env["GOBIN"] == "/b"


def test_autoloaded_function_and_fish_export(home: Home) -> None:
    home.file(".config/fish/functions/gosetup.fish", """
        function gosetup
            set -gx GOROOT /usr/lib/go
        end
    """)
    home.file(CONFIG, """
        export GOPROXY=direct
        gosetup
        set -U GOPRIVATE example.com
    """)
    t = run(home)
    proxy, root, private = only_change(t, "GOPROXY"), only_change(t, "GOROOT"), only_change(t, "GOPRIVATE")
    assert (proxy.location.line, proxy.via, proxy.op) == (1, "function export", Op.EXPORT)
    assert (root.location.path, root.location.line, root.via) == (home.p(".config/fish/functions/gosetup.fish"), 2,
                                                                   "function gosetup")
    assert (root.call_site.path, root.call_site.line) == (home.p(CONFIG), 2)
    assert (private.location.line, private.op, private.exported) == (3, Op.SET, False)
    assert ".config/fish/functions/gosetup.fish" in mine(home, t)


def test_own_on_variable_handler(home: Home) -> None:
    home.file(f"{CONF_D}/hooks.fish", """
        function __gobin --on-variable GOPATH
            set -gx GOBIN $GOPATH/bin
        end
    """)
    home.file(CONFIG, "set -gx GOPATH /g\n")
    t = run(home)
    a = only_change(t, "GOBIN")
    assert (a.location.path, a.location.line, a.via, a.value) == (home.p(f"{CONF_D}/hooks.fish"), 2,
                                                                  "function __gobin", "/g/bin")
    assert (a.call_site.path, a.call_site.line) == (home.p(CONFIG), 1)  # what triggered it


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_exec_tmux_is_a_clear_error(home: Home) -> None:
    marker = f"goenvfish{os.getpid()}"
    home.file(CONFIG, f"""
        set -gx GOPROXY direct
        exec tmux -L {marker}
    """)
    t = run(home, timeout=3.0)
    assert t.status is TraceStatus.ERROR
    assert (t.stopped_at.path, t.stopped_at.line) == (home.p(CONFIG), 2)
    assert "tmux" in t.error
    assert _alive(f"-L {marker}") == []


def _alive(marker: str) -> list[str]:
    out = []
    for p in psutil.process_iter(["cmdline"]):
        try:
            cmd = " ".join(p.info["cmdline"] or [])
            if marker in cmd and p.status() != psutil.STATUS_ZOMBIE:
                out.append(cmd)
        except psutil.Error:
            continue
    return out


def test_sleep_times_out_and_leaves_nothing(home: Home) -> None:
    # A sleep of a length no other run uses: the leftover check sees only this run's processes
    # (another checkout's suite may run this very test at the same moment).
    naptime = 6000 + secrets.randbelow(3_000_000)
    home.file(CONFIG, f"""
        set -gx GOPROXY direct
        sleep {naptime}
        set -gx GOROOT /never
    """)
    start = time.monotonic()
    t = run(home, timeout=1.0)
    assert time.monotonic() - start < 5
    assert t.status is TraceStatus.TIMEOUT
    assert (t.stopped_at.path, t.stopped_at.line) == (home.p(CONFIG), 2)
    assert f"sleep {naptime}" in t.error
    assert changes(t, "GOPROXY", home) == [("~/.config/fish/config.fish", 1, "export", "direct")]
    assert _alive(f"sleep {naptime}") == [] and _alive(home.path) == []


def test_read_in_a_function_times_out_at_its_line(home: Home) -> None:
    home.file(f"{CONF_D}/ask.fish", """
        function ask
            read -P 'GOPATH? ' -gx GOPATH
        end
    """)
    home.file(CONFIG, "set -gx GOFLAGS -v\nask\n")
    t = run(home, "fish-login-interactive", timeout=1.0)
    assert t.status is TraceStatus.TIMEOUT
    assert (t.stopped_at.path, t.stopped_at.line) == (home.p(f"{CONF_D}/ask.fish"), 2)
    assert _alive(home.path) == []


def test_final_environment_is_exact_and_the_hook_leaves_no_trace(home: Home) -> None:
    home.file(CONFIG, """
        set -gx GOPATH $HOME/go
        set -gx GOTEST_FFP (string join : $fish_function_path)
        set -gx GOTEST_VENDOR (string join : $__fish_vendor_confdirs)
        set -gx GOTEST_XDG "$XDG_DATA_DIRS"
        set -gx GOTEST_FUNCS (functions -a | string match '__fish_set_locale*')
    """)
    t = run(home, "fish-login-interactive")
    assert t.status is TraceStatus.OK
    go = {k: v for k, v in t.env.items() if k.startswith("GO")}
    data = "/usr/share/fish"
    assert go == {
        "GOPATH": f"{home.path}/go",
        "GOTEST_FFP": ":".join([f"{home.path}/.config/fish/functions", "/etc/fish/functions",
                                f"{home.path}/.local/share/fish/vendor_functions.d",
                                f"{data}/vendor_functions.d", f"{data}/functions"]),
        "GOTEST_VENDOR": f"{home.path}/.local/share/fish/vendor_conf.d:{data}/vendor_conf.d",
        "GOTEST_XDG": "",
        "GOTEST_FUNCS": "__fish_set_locale",
    }
    assert not any(k in t.full_env for k in ("fish_trace", "XDG_DATA_DIRS")), t.full_env
    assert t.full_env["LANG"] == "C.UTF-8" and t.env["SHELL"].endswith("/fish")
    assert t.watched["GOPATH"] == t.env["GOPATH"]


def test_diagnose_end_to_end(home: Home) -> None:
    home.dir("go/bin")
    home.file(CONFIG, """
        set -gx GOPATH $HOME/go
        if not status is-interactive
            return
        end
        fish_add_path -g $GOPATH/bin
        set -gx GOFLAGS -mod=mod
    """)
    d = home.diagnose(shells=FISH, login_shell=LOGIN)
    ctx = {c.id: c for c in d.facts.contexts}
    assert set(ctx) == {s.id for s in all_specs(FISH)}
    assert all(c.status is TraceStatus.OK for c in ctx.values()), {c.id: c.error for c in ctx.values()}
    assert ctx["fish-login-interactive"].env["GOFLAGS"] == "-mod=mod"
    assert "GOFLAGS" not in ctx["fish-nologin-noninteractive"].env
    assert d.facts.primary == {"fish-login-interactive", "fish-nologin-interactive", "fish-sshd-command"}
    guard = [f for f in d.findings if f.check == "GOENV-GUARD-001" and f.contexts == ("fish-sshd-command",)]
    assert len(guard) == 1 and guard[0].locations[0] == Location(home.p(CONFIG), 3)
    doc = to_json(d)
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(doc)
    assert {c["id"] for c in doc["contexts"]} == set(ctx)
    var = [v for v in doc["variables"] if v["name"] == "GOFLAGS" and v["context"] == "fish-login-interactive"][0]
    assert [(a["path"], a["line"], a["op"]) for a in var["assignments"]] == [(home.p(CONFIG), 6, "export")]
    path = [v for v in doc["variables"] if v["name"] == "PATH" and v["context"] == "fish-nologin-interactive"][0]
    assert [(a["path"], a["line"], a["op"], a["via"]) for a in path["assignments"] if a["path"] == home.p(CONFIG)] == [
        (home.p(CONFIG), 5, "prepend", "function fish_add_path")]
