"""The dlv probe against the real Delve (v1.27.x from `go install`) and real Go installations.

Every test checks afterwards that nothing the probe started is still running: each context
environment here has HOME set to the test's own tmp_path, which every child (dlv, go, compile,
link, the debugged __debug_bin) inherits, so a scan of process environments finds any leftover.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import threading
import time
from pathlib import Path

import psutil
import pytest

from goenv_tui.host import LocalHost
from goenv_tui.probes.dlv import classify, probe_dlv
from goenv_tui.probes.scratch import MAIN_GO
from tests import gotools

pytestmark = pytest.mark.slow

# A launcher that runs its arguments with ptrace(2) failing with EPERM (a seccomp filter, as a
# container runtime's profile would install), compiled at test time: no libseccomp needed.
NOPTRACE_C = r"""
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

int main(int argc, char **argv) {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ptrace, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof(filter) / sizeof(filter[0]), filter};
    if (argc < 2) return 2;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) { perror("PR_SET_NO_NEW_PRIVS"); return 127; }
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) { perror("PR_SET_SECCOMP"); return 127; }
    execvp(argv[1], argv + 1);
    perror("execvp");
    return 127;
}
"""


# fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def gocache(tmp_path_factory) -> str:
    """One build cache for the whole session: after the first build, `dlv debug` builds in ~0.2 s."""
    return str(tmp_path_factory.mktemp("dlv-gocache"))


@pytest.fixture(scope="session")
def noptrace(tmp_path_factory) -> str:
    gcc = shutil.which("gcc")
    assert gcc, "gcc is needed to build the ptrace-denying launcher"
    d = tmp_path_factory.mktemp("noptrace")
    (d / "noptrace.c").write_text(NOPTRACE_C)
    subprocess.run([gcc, "-O", "-o", str(d / "noptrace"), str(d / "noptrace.c")], check=True,
                   capture_output=True)
    return str(d / "noptrace")


@pytest.fixture
def dlv() -> str:
    return gotools.dlv()


def context_env(tmp_path: Path, gocache: str, go_dir: str | None) -> dict[str, str]:
    path = f"{go_dir}:/usr/bin:/bin" if go_dir else "/usr/bin:/bin"
    return {"PATH": path, "HOME": str(tmp_path), "GOCACHE": gocache, "GOFLAGS": "",
            "GOTOOLCHAIN": "local", "GOPATH": str(tmp_path / "gopath")}


def go_dir() -> str:
    return os.path.dirname(gotools.go())


def _ours(proc: psutil.Process, home: str, dirs: list[str]) -> bool:
    try:
        if proc.pid == os.getpid() or proc.status() == psutil.STATUS_ZOMBIE:
            return False
        cmdline = " ".join(proc.cmdline())
        if any(d in cmdline for d in dirs):
            return True
        return proc.environ().get("HOME") == home
    except (psutil.Error, OSError):
        return False


def leftovers(home: str, dirs: list[str]) -> list[str]:
    """Processes of this test still running: HOME is the test's tmp_path, or the scratch dir is
    on their command line. Polls briefly: a SIGKILLed process takes a moment to disappear."""
    deadline = time.monotonic() + 2.0
    while True:
        found = [f"{p.pid} {' '.join(p.cmdline())}" for p in psutil.process_iter() if _ours(p, home, dirs)]
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def scratch_dirs(result) -> list[str]:
    """The directories the probe built in (from `dlv debug --output=<dir>/__debug_bin`)."""
    return sorted({m.group(1) for line in result.transcript
                   for m in [re.search(r"--output=(\S+)/__debug_bin", line)] if m})


@pytest.fixture(autouse=True)
def nothing_left_behind(tmp_path):
    yield
    assert leftovers(str(tmp_path), []) == []


def assert_clean(tmp_path: Path, result) -> None:
    dirs = scratch_dirs(result)
    assert leftovers(str(tmp_path), dirs) == []
    for d in dirs:
        assert not os.path.exists(d), f"{d} was not removed"


class NoPtraceHost(LocalHost):
    """This machine, but interactive children run with ptrace denied by seccomp."""

    def __init__(self, launcher: str) -> None:
        super().__init__()
        self.launcher = launcher

    def interactive_argv(self, argv, env, cwd, tty=False):
        argv2, env2, cwd2 = super().interactive_argv(argv, env, cwd, tty)
        return [self.launcher, *argv2], env2, cwd2


# tests --------------------------------------------------------------------------------------
def test_probe_passes_with_real_dlv_and_go(tmp_path, gocache, dlv):
    lines: list[str] = []
    r = probe_dlv(LocalHost(), dlv, context_env(tmp_path, gocache, go_dir()), "bash-login",
                  go_version=gotools.go_version(gotools.go()), on_line=lines.append)
    assert (r.status, r.classification) == ("ok", None), (r.detail, r.messages, r.transcript)
    assert r.tool == "dlv" and r.context == "bash-login"
    assert re.fullmatch(r"1\.\d+\.\d+", r.version or ""), r.version
    assert "42" in r.transcript  # the line `print answer` printed
    assert any(re.match(r"> \[Breakpoint 1\] main\.main\(\) \./main\.go:\d+", ln) for ln in r.transcript)
    assert "(dlv) print answer" in r.transcript
    for key in ("version_ms", "launch_ms", "breakpoint_ms", "answer_ms", "total_ms"):
        assert r.timings.get(key, 0) > 0, (key, r.timings)
    assert r.timings["launch_ms"] < r.timings["breakpoint_ms"] < r.timings["answer_ms"] < r.timings["total_ms"]
    assert "print answer` = 42" in (r.detail or "")
    assert lines == list(r.transcript)  # streamed as it happened, line for line
    assert r.leftover == ()  # dlv exited by itself after `exit`
    assert_clean(tmp_path, r)


def test_go_missing_from_path(tmp_path, gocache, dlv):
    env = context_env(tmp_path, gocache, None)
    assert shutil.which("go", path=env["PATH"]) is None
    r = probe_dlv(LocalHost(), dlv, env, "zsh-interactive")
    assert (r.status, r.classification) == ("fail", "go-not-found"), (r.detail, r.messages)
    assert r.messages == ('exec: "go": executable file not found in $PATH',)
    assert r.version and re.fullmatch(r"1\.\d+\.\d+", r.version)
    assert_clean(tmp_path, r)


def test_go_too_old_for_this_delve(tmp_path, gocache, dlv):
    go119 = gotools.go119()
    version = gotools.go_version(go119)
    r = probe_dlv(LocalHost(), dlv, context_env(tmp_path, gocache, os.path.dirname(go119)), "vscode",
                  go_version=version)
    # Delve 1.27 builds the program with go1.19, then refuses it (pkg/goversion/compat.go).
    assert (r.status, r.classification) == ("fail", "go-too-old"), (r.detail, r.messages, r.transcript)
    assert len(r.messages) == 1
    assert re.fullmatch(rf"Go version {re.escape(version)} is too old for this version of Delve "
                        r"\(minimum supported version 1\.\d+, suppress this error with --check-go-version=false\)",
                        r.messages[0]), r.messages
    assert_clean(tmp_path, r)


def test_ptrace_denied_by_seccomp(tmp_path, gocache, dlv, noptrace):
    r = probe_dlv(NoPtraceHost(noptrace), dlv, context_env(tmp_path, gocache, go_dir()), "bash-login",
                  go_version=gotools.go_version(gotools.go()))
    assert (r.status, r.classification) == ("fail", "ptrace-denied"), (r.detail, r.messages, r.transcript)
    assert len(r.messages) == 1
    assert re.fullmatch(r"could not launch process: fork/exec /\S+/__debug_bin: operation not permitted",
                        r.messages[0]), r.messages
    # What the kernel's policy is, read through the host, never via sysctl.
    if os.path.exists("/proc/sys/kernel/yama/ptrace_scope"):
        assert "kernel.yama.ptrace_scope is" in (r.detail or "")
    else:
        assert "There is no /proc/sys/kernel/yama/ptrace_scope" in (r.detail or "")
    if os.path.exists("/.dockerenv"):
        assert "Docker" in (r.detail or "")
    assert_clean(tmp_path, r)


def test_build_failure_in_workdir(tmp_path, gocache, dlv):
    work = tmp_path / "work"
    work.mkdir()
    (work / "go.mod").write_text("module broken\n\ngo 1.21\n")
    (work / "main.go").write_text("package main\n\nfunc main() {\n\tnosuch()\n}\n")
    before = sorted(os.listdir(work))
    r = probe_dlv(LocalHost(), dlv, context_env(tmp_path, gocache, go_dir()), "bash-login", workdir=str(work))
    assert (r.status, r.classification) == ("fail", "build-failed"), (r.detail, r.messages)
    assert "./main.go:4:2: undefined: nosuch" in r.messages
    assert "exit status 1" in r.messages
    assert sorted(os.listdir(work)) == before  # no __debug_bin left in the user's directory
    assert_clean(tmp_path, r)


def test_workdir_module_passes(tmp_path, gocache, dlv):
    work = tmp_path / "work"
    work.mkdir()
    (work / "go.mod").write_text("module goenvprobe\n\ngo 1.21\n")
    (work / "main.go").write_text(MAIN_GO)
    r = probe_dlv(LocalHost(), dlv, context_env(tmp_path, gocache, go_dir()), "bash-login", workdir=str(work))
    assert r.status == "ok", (r.detail, r.messages, r.transcript)
    assert sorted(os.listdir(work)) == ["go.mod", "main.go"]
    assert_clean(tmp_path, r)


def test_no_debug_info_when_goflags_strip_dwarf(tmp_path, gocache, dlv):
    env = context_env(tmp_path, gocache, go_dir()) | {"GOFLAGS": "-ldflags=-w"}
    r = probe_dlv(LocalHost(), dlv, env, "bash-login", go_version=gotools.go_version(gotools.go()))
    assert (r.status, r.classification) == ("fail", "no-debug-info"), (r.detail, r.messages, r.transcript)
    assert ("Warning: no debug info found, some functionality will be missing such as stack traces "
            "and variable evaluation.") in r.messages
    assert any("binary is stripped" in m for m in r.messages), r.messages
    assert_clean(tmp_path, r)


def test_dlv_for_another_architecture(tmp_path, gocache):
    other = "arm64" if LocalHost().arch() == "amd64" else "amd64"
    fake = gotools.build(tmp_path, "dlv", goarch=other)
    r = probe_dlv(LocalHost(), fake, context_env(tmp_path, gocache, go_dir()), "bash-login")
    assert (r.status, r.classification) == ("fail", "arch-mismatch"), (r.detail, r.messages)
    assert any(re.search(r"exec format error", m, re.I) for m in r.messages), r.messages
    assert r.transcript[0] == f"$ {fake} version"


def test_old_dlv_without_the_non_terminal_flag_is_retried(tmp_path, gocache, dlv):
    # A Delve that predates --allow-non-terminal-interactive; under a pty it is not needed.
    old = tmp_path / "bin" / "dlv"
    old.parent.mkdir()
    old.write_text("#!/bin/sh\n"
                   'for a in "$@"; do case "$a" in --allow-non-terminal-interactive*)\n'
                   '  echo "Error: unknown flag: --allow-non-terminal-interactive" >&2; exit 1;; esac; done\n'
                   f'exec {dlv} "$@"\n')
    old.chmod(old.stat().st_mode | stat.S_IXUSR)
    r = probe_dlv(LocalHost(), str(old), context_env(tmp_path, gocache, go_dir()), "bash-login",
                  go_version=gotools.go_version(gotools.go()))
    assert r.status == "ok", (r.detail, r.messages, r.transcript)
    assert any("retrying without it" in ln for ln in r.transcript)
    assert_clean(tmp_path, r)


def test_timeout_while_building(tmp_path, gocache, dlv):
    # A cold build cache: go needs seconds to build fmt and the runtime, the deadline is 1 s.
    env = context_env(tmp_path, str(tmp_path / "cold-cache"), go_dir())
    t0 = time.monotonic()
    r = probe_dlv(LocalHost(), dlv, env, "bash-login", go_version=gotools.go_version(gotools.go()), timeout=1.0)
    elapsed = time.monotonic() - t0
    assert (r.status, r.classification) == ("timeout", "timeout"), (r.detail, r.messages, r.transcript)
    assert "timed out waiting for the first (dlv) prompt (go build and launch)" in (r.detail or "")
    assert elapsed < 5, elapsed
    assert_clean(tmp_path, r)
    # Only this probe's own scratch dirs: other runs on the machine build their own __debug_bin.
    assert scratch_dirs(r), r.transcript
    assert leftovers(str(tmp_path), scratch_dirs(r)) == []


def test_cancel_stops_everything(tmp_path, gocache, dlv):
    env = context_env(tmp_path, str(tmp_path / "cold-cache"), go_dir())
    cancel = threading.Event()
    timer = threading.Timer(0.3, cancel.set)
    timer.start()
    t0 = time.monotonic()
    try:
        r = probe_dlv(LocalHost(), dlv, env, "bash-login", go_version=gotools.go_version(gotools.go()),
                      cancel=cancel)
    finally:
        timer.cancel()
    elapsed = time.monotonic() - t0
    assert (r.status, r.classification) == ("fail", "cancelled"), (r.detail, r.messages, r.transcript)
    assert "first (dlv) prompt" in (r.detail or "")
    assert elapsed < 3, elapsed
    assert_clean(tmp_path, r)


def test_never_raises(tmp_path, gocache, dlv):
    class Broken(LocalHost):
        def make_temp_dir(self, prefix: str) -> str:
            raise RuntimeError("disk on fire")

    r = probe_dlv(Broken(), dlv, context_env(tmp_path, gocache, go_dir()), "bash-login")
    assert (r.status, r.classification) == ("fail", "internal")
    assert r.messages == ("RuntimeError: disk on fire",)


@pytest.mark.parametrize(("text", "expected"), [
    # pkg/goversion/compat.go, Delve 1.21+ and before
    ("Version of Delve is too old for Go version go1.28.0 (maximum supported version 1.27, "
     "suppress this error with --check-go-version=false)", "go-too-new"),
    ("Version of Delve is too old for this version of Go (maximum supported version 1.14, "
     "suppress this error with --check-go-version=false)", "go-too-new"),
    ("Version of Go is too old for this version of Delve (minimum supported version 1.11, "
     "suppress this error with --check-go-version=false)", "go-too-old"),
    # service/debugger/debugger_linux.go (dlv attach under Yama ptrace_scope >= 1)
    ('Could not attach to pid 4242: this could be caused by a kernel security setting, try writing "0" '
     "to /proc/sys/kernel/yama/ptrace_scope", "ptrace-denied"),
    ("could not attach to pid 4242: operation not permitted", "ptrace-denied"),
    # service/debugger/debugger.go noDebugErrorWarning
    ("could not launch process: could not open debug info - debuggee must not be built with 'go run' "
     "or -ldflags='-s -w', which strip debug info", "no-debug-info"),
    ("could not launch process: unsupported architecture of linux/riscv64 - only linux/amd64 "
     "linux/arm64 are supported", "arch-mismatch"),
    ("go: go.mod requires go >= 1.99 (running go 1.26.0; GOTOOLCHAIN=local)", "build-failed"),
])
def test_classifier_on_delves_own_words(text, expected):
    # Texts Delve prints in situations this machine cannot produce (no newer Go than Delve
    # supports, no Yama, no other architecture's target): the classifier alone.
    assert classify(["Type 'help' for list of commands.", text])[0] == expected
