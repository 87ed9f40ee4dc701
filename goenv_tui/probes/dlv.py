"""The dlv probe: `dlv version`, then `dlv debug` on a scratch module, driven at its `(dlv)` prompt
the way a person drives it — break at main.main, continue, stop after `answer := 42`, print
answer, exit — in the context's exact environment (its PATH decides which go builds the program).

Failures are classified from Delve's and go's own words: ptrace denied, Go too old/new for this
Delve, build failed, go not found, no debug info, wrong architecture, crash, timeout, cancelled.
"""

from __future__ import annotations

import contextlib
import posixpath
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pexpect

from goenv_tui.host import Host
from goenv_tui.model import ProbeResult
from goenv_tui.probes.scratch import ANSWER_LINE, MAIN_GO, make_scratch
from goenv_tui.probes.session import Cancelled, Session

if TYPE_CHECKING:
    from pexpect.spawnbase import _InputRePattern  # what expect() takes (types-pexpect)

PROMPT = "(dlv) "
PROMPT_RE = re.escape(PROMPT)
NONTERMINAL_FLAG = "--allow-non-terminal-interactive=true"
# How long `dlv version` may take, and how long dlv may take to exit after `exit`.
VERSION_TIMEOUT = 10.0
EXIT_TIMEOUT = 5.0

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>]")

# (classification, pattern over everything dlv and go printed), first match wins.
CLASSES: list[tuple[str, re.Pattern[str]]] = [
    ("go-not-found", re.compile(r'exec: "go": executable file not found|"go": executable file not found|'
                                r"go: (command )?not found", re.I)),
    # GOROOT names another Go than the go that builds: "compile: version "go1.19.8" does not match
    # go tool version "go1.26.8"" (a build failure, but its cause is GOROOT).
    ("goroot-mismatch", re.compile(r"does not match go tool version|cannot find GOROOT", re.I)),
    # pkg/goversion/compat.go: "Go version go1.19.8 is too old for this version of Delve (minimum
    # supported version 1.25, …)"; before v1.21: "Version of Go is too old for this version of Delve".
    ("go-too-old", re.compile(r"Go version \S+ is too old for this version of Delve|"
                              r"Version of Go is too old for this version of Delve", re.I)),
    # "Version of Delve is too old for Go version go1.28 (maximum supported version 1.27, …)";
    # before v1.21: "Version of Delve is too old for this version of Go".
    ("go-too-new", re.compile(r"Version of Delve is too old for (Go version|this version of Go)|"
                              r"Go version \S+ is too new for this version of Delve", re.I)),
    ("no-debug-info", re.compile(r"could not (find|open) debug info|no debug info found|"
                                 r"strip debug info|binary is stripped|could not find DWARF|decoding dwarf section", re.I)),
    ("arch-mismatch", re.compile(r"exec format error|unsupported architecture", re.I)),
    ("ptrace-denied", re.compile(r"could not attach to pid|"
                                 r"could not launch process: fork/exec .*: operation not permitted|"
                                 r"\bptrace\b.*(not permitted|denied)|"
                                 r"kernel security setting.*ptrace_scope", re.I)),
    ("build-failed", re.compile(r"^go: |^# \S+|^\S+\.go:\d+:\d+: |^exit status \d+|"
                                r"could not launch process: |^Build failed|cannot find module|"
                                r"no Go files in|build constraints exclude", re.I)),
    # Anything else refused by the kernel is most likely ptrace too (seccomp, an LSM).
    ("ptrace-denied", re.compile(r"operation not permitted", re.I)),
]

ADVICE = {
    "not-runnable": "`dlv version` did not run.",
    "arch-mismatch": "dlv (or the program it built) is for another architecture than this machine.",
    "go-not-found": "dlv debug runs `go build`; this context's PATH has no go.",
    "go-too-old": "The go on this context's PATH is older than this Delve supports: "
                  "upgrade Go, or install a Delve release that supports it.",
    "go-too-new": "This Delve is older than the go on this context's PATH: "
                  "reinstall Delve (go install github.com/go-delve/delve/cmd/dlv@latest).",
    "goroot-mismatch": "GOROOT and the go on PATH are different Go installations, so dlv's build fails.",
    "build-failed": "dlv could not build the scratch program with this context's go.",
    "no-debug-info": "The program was built without DWARF (e.g. -ldflags=-w or -s in GOFLAGS), "
                     "so dlv cannot set breakpoints or read variables.",
    "ptrace-denied": "dlv could not trace the program it started: the kernel refused ptrace.",
    "crash": "dlv ended the session unexpectedly.",
    "wrong-answer": "dlv stopped, but `print answer` did not show 42.",
    "no-probe-variable": "The work directory's main.go has no `answer := 42` line to stop after.",
}

YAMA = {
    "0": "0 = classic ptrace permissions (any process of the same user may be traced)",
    "1": "1 = restricted: only descendants may be traced (dlv debug is fine; dlv attach needs "
         "the same user plus CAP_SYS_PTRACE or ptrace_scope 0)",
    "2": "2 = admin-only attach: only processes with CAP_SYS_PTRACE may use ptrace attach",
    "3": "3 = no attach: ptrace attach is disabled for everyone until reboot",
}


def classify(lines: list[str]) -> tuple[str | None, list[str]]:
    """The first class whose pattern matches one of the lines, with the matching lines (verbatim)."""
    for name, pattern in CLASSES:
        hits = [ln for ln in lines if pattern.search(ln)]
        if hits:
            if name == "build-failed":
                # The whole go output, not just the line that matched: it says what is wrong.
                hits = [ln for ln in lines if ln.strip() and not ln.startswith(PROMPT.strip())]
            return name, hits[:12]
    return None, []


class _LineSink:
    """pexpect's logfile_read: everything dlv prints, split into lines as it arrives, noted in
    the session's transcript (so on_line streams it) and kept for classification."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.partial = ""
        self.lines: list[str] = []

    def write(self, data: str) -> None:
        self.partial += data
        while "\n" in self.partial:
            line, self.partial = self.partial.split("\n", 1)
            self._emit(line)

    def flush(self) -> None:
        pass

    def finish(self) -> None:
        if self.partial.strip():
            self._emit(self.partial)
        self.partial = ""

    def _emit(self, raw: str) -> None:
        line = _ANSI.sub("", raw).replace("\r", "").rstrip()
        if not line:
            return
        self.lines.append(line)
        self.session.note(line)

    def since(self, mark: int) -> list[str]:
        """Lines printed after `mark` (a len(self.lines)), plus the unfinished one."""
        out = self.lines[mark:]
        tail = _ANSI.sub("", self.partial).replace("\r", "").strip()
        return out + ([tail] if tail else [])


class _Failed(Exception):
    def __init__(self, classification: str, detail: str, messages: list[str] | None = None) -> None:
        super().__init__(detail)
        self.classification = classification
        self.detail = detail
        self.messages = messages or []


class _UnknownFlag(Exception):
    pass


def probe_dlv(host: Host, dlv: str, env: dict[str, str], context: str, go_version: str | None = None,
              timeout: float = 60.0, on_line: Callable[[str], None] | None = None,
              cancel: threading.Event | None = None, workdir: str | None = None) -> ProbeResult:
    """Run dlv the way a person would and report what happened; never raises."""
    started = time.monotonic()
    try:
        return _probe(host, dlv, env, context, go_version, timeout, on_line, cancel, workdir, started)
    except Exception as exc:  # the probe must never take the caller down
        return ProbeResult("dlv", context, "fail", (time.monotonic() - started) * 1000, None,
                           f"internal error in the dlv probe: {type(exc).__name__}: {exc}", "internal",
                           messages=(f"{type(exc).__name__}: {exc}",))


def _probe(host: Host, dlv: str, env: dict[str, str], context: str, go_version: str | None,
           timeout: float, on_line: Callable[[str], None] | None, cancel: threading.Event | None,
           workdir: str | None, started: float) -> ProbeResult:
    cancel = cancel or threading.Event()
    deadline = started + timeout

    def ms() -> float:
        return (time.monotonic() - started) * 1000

    # 1. dlv version ------------------------------------------------------------------------
    if cancel.is_set():
        return ProbeResult("dlv", context, "fail", ms(), None, "cancelled", "cancelled")
    res = host.run([dlv, "version"], env=env, timeout=max(0.1, min(VERSION_TIMEOUT, timeout)))
    out = (res.stdout + res.stderr).decode(errors="replace")
    m = re.search(r"Version:\s*(\S+)", out)
    version = m.group(1) if m else None
    version_lines = [ln.rstrip() for ln in out.splitlines() if ln.strip()]
    timings: dict[str, float] = {"version_ms": res.duration_ms}
    head = [f"$ {dlv} version", *version_lines] + ([res.error] if res.error else [])
    if on_line is not None:
        for line in head:
            on_line(line)
    if not res.ok:
        why = res.error or (version_lines[-1] if version_lines else f"exit status {res.returncode}")
        if res.timed_out:
            return ProbeResult("dlv", context, "timeout", ms(), version,
                               f"`dlv version` did not finish within {min(VERSION_TIMEOUT, timeout):g}s",
                               "timeout", timings, tuple(version_lines[-5:] or [why]), tuple(head))
        cls = "arch-mismatch" if re.search(r"exec format error", why, re.I) else "not-runnable"
        return ProbeResult("dlv", context, "fail", ms(), version, f"`dlv version` failed: {why}", cls,
                           timings, tuple(version_lines[-5:] + ([res.error] if res.error else [])) or (why,),
                           tuple(head))
    if cancel.is_set():
        return ProbeResult("dlv", context, "fail", ms(), version, "cancelled", "cancelled", timings,
                           transcript=tuple(head))

    # 2. dlv debug on the scratch module (or the given directory) -----------------------------
    scratch: str | None = None
    bindir: str | None = None
    transcript: list[str] = list(head)
    leftover: list[int] = []
    try:
        if workdir is None:
            scratch = make_scratch(host, go_version)
            cwd, outdir, source = scratch, scratch, MAIN_GO
        else:
            # dlv leaves its binary behind when it is killed: build it where we clean up.
            bindir = host.make_temp_dir("goenv-tui-dlv-")
            cwd, outdir = workdir, bindir
            try:
                source = host.read_text(posixpath.join(workdir, "main.go"), 512 * 1024)
            except Exception:
                source = ""
        stop_line = _stop_line(source)
        output = posixpath.join(outdir, "__debug_bin")
        flags = [NONTERMINAL_FLAG]
        for attempt in range(2):
            argv = [dlv, "debug", *flags, f"--output={output}"]
            try:
                status, classification, detail, messages = _debug(
                    host, argv, env, cwd, deadline, on_line, cancel, stop_line, timings, transcript,
                    leftover, started)
            except _UnknownFlag:
                if attempt == 0:
                    # An old Delve without the flag; under a pty it is not needed.
                    flags = []
                    transcript.append(f"(this dlv has no {NONTERMINAL_FLAG.split('=')[0]}; retrying without it)")
                    continue
                raise
            break
    finally:
        for d in (scratch, bindir):
            if d is not None:
                with contextlib.suppress(Exception):
                    host.remove_tree(d)
    timings["total_ms"] = ms()
    if classification == "ptrace-denied":
        detail = f"{detail} {_ptrace_detail(host)}."
    return ProbeResult("dlv", context, status, ms(), version, detail, classification, timings,
                       tuple(messages), tuple(transcript), leftover=tuple(leftover))


def _stop_line(source: str) -> int | None:
    """1-based line just after `answer := 42` (where answer is assigned and not yet printed)."""
    for n, line in enumerate(source.splitlines(), 1):
        if re.match(r"\s*answer\s*:=\s*42\b", line):
            return n + 1
    return ANSWER_LINE if source == MAIN_GO else None


def _debug(host: Host, argv: list[str], env: dict[str, str], cwd: str, deadline: float,
           on_line: Callable[[str], None] | None, cancel: threading.Event, stop_line: int | None,
           timings: dict[str, float], transcript: list[str], leftover: list[int],
           started: float) -> tuple[str, str | None, str, list[str]]:
    """One `dlv debug` session; returns (status, classification, detail, messages)."""
    left = deadline - time.monotonic()
    if left <= 0:
        return "timeout", "timeout", "the deadline passed before `dlv debug` could start", []
    child_env = dict(env)
    child_env["TERM"] = "dumb"  # no colours, no pager, no line editing: plain lines at the prompt
    child_env.pop("DELVE_PAGER", None)
    step = "the first (dlv) prompt (go build and launch)"
    session: Session | None = None
    sink: _LineSink | None = None
    try:
        with Session(host, argv, child_env, cwd, left, pty=True, on_line=on_line, cancel=cancel) as session:
            sink = _LineSink(session)
            session.child.logfile_read = sink
            child = session.child
            spawn_ms = (time.monotonic() - started) * 1000

            def rel() -> float:
                return (time.monotonic() - started) * 1000

            def wait(what: str, patterns: list[str], cap: float | None = None) -> int:
                """Wait for one of patterns (or EOF: returns len(patterns)); polls for cancel."""
                nonlocal step
                step = what
                want: list[_InputRePattern] = [*patterns, pexpect.EOF, pexpect.TIMEOUT]
                stop = None if cap is None else time.monotonic() + cap
                while True:
                    slice_ = session.remaining(0.1)
                    if stop is not None:
                        if time.monotonic() >= stop:
                            raise pexpect.TIMEOUT(f"no answer within {cap:g}s")
                        slice_ = min(slice_, max(0.01, stop - time.monotonic()))
                    i = child.expect(want, timeout=slice_)
                    if i < len(patterns) + 1:
                        return i

            def command(cmd: str, what: str) -> list[str]:
                """Send one command at the prompt; the lines it printed (without the echo)."""
                mark = len(sink.lines)
                child.sendline(cmd)
                if wait(what, [PROMPT_RE]) != 0:
                    raise pexpect.EOF(f"dlv exited after `{cmd}`")
                lines = sink.since(mark)
                return [ln for ln in lines if not ln.startswith(PROMPT.strip()) and ln.strip() != cmd]

            if wait(step, [PROMPT_RE]) != 0:
                sink.finish()
                lines = sink.lines
                if any("unknown flag: " + NONTERMINAL_FLAG.split("=")[0] in ln for ln in lines):
                    raise _UnknownFlag()
                cls, hits = classify(lines)
                cls = cls or "build-failed"
                raise _Failed(cls, f"dlv debug exited before its first prompt. {ADVICE.get(cls, '')}".strip(),
                              hits or lines[-8:])
            timings["launch_ms"] = rel() - spawn_ms
            warnings = list(sink.lines)

            out = command("break main.main", "`break main.main`")
            if not any(re.search(r"Breakpoint \d+ set at", ln) for ln in out):
                _fail_at("break main.main", out, warnings)
            if stop_line is not None:
                out = command(f"break main.go:{stop_line}", f"`break main.go:{stop_line}`")
                if not any(re.search(r"Breakpoint \d+ set at", ln) for ln in out):
                    _fail_at(f"break main.go:{stop_line}", out, warnings)
            out = command("continue", "the breakpoint at main.main (`continue`)")
            if not any(re.search(r"^> (\[[^\]]*\] )?main\.main\(\)", ln) for ln in out):
                _fail_at("continue", out, warnings)
            timings["breakpoint_ms"] = rel() - spawn_ms
            if stop_line is None:
                raise _Failed("no-probe-variable", ADVICE["no-probe-variable"] + " dlv did stop at main.main.")
            out = command("continue", f"the breakpoint at main.go:{stop_line} (`continue`)")
            if not any(re.search(rf"^> (\[[^\]]*\] )?main\.main\(\) .*main\.go:{stop_line}\b", ln) for ln in out):
                _fail_at("continue", out, warnings)
            out = command("print answer", "`print answer`")
            timings["answer_ms"] = rel() - spawn_ms
            answer = next((ln.strip() for ln in out if ln.strip()), "")
            if answer != "42":
                cls, hits = classify(out + warnings)
                cls = cls if cls in ("no-debug-info", "go-too-old", "go-too-new") else "wrong-answer"
                raise _Failed(cls, f"`print answer` said {answer or 'nothing'!r}, not 42. {ADVICE[cls]}",
                              hits or out)

            # exit, answering the kill prompt if dlv asks (it does after attach, not after debug).
            child.sendline("exit")
            try:
                i = wait("dlv to exit", [r"kill the process\? \[Y/n\]", r"kill the headless instance\? \[Y/n\]"],
                         cap=EXIT_TIMEOUT)
                if i in (0, 1):
                    child.sendline("y")
                    wait("dlv to exit after `y`", [], cap=EXIT_TIMEOUT)
                session.wait_exit(1.0)
                exited = "dlv exited cleanly"
            except pexpect.TIMEOUT:
                exited = "dlv did not exit after `exit` and was killed"
            sink.finish()
            detail = (f"stopped at main.main and main.go:{stop_line}, `print answer` = 42; "
                      f"build+launch {timings['launch_ms']:.0f} ms; {exited}")
            extra = [ln for ln in warnings if re.search(r"warning", ln, re.I)]
            if extra:
                detail += f"; dlv warned: {extra[0][:200]}"
            return "ok", None, detail, extra
    except _Failed as exc:
        return "fail", exc.classification, exc.detail, exc.messages
    except Cancelled:
        return "fail", "cancelled", f"cancelled while waiting for {step}", (sink.since(0)[-5:] if sink else [])
    except pexpect.TIMEOUT:
        lines = sink.since(0) if sink else []
        cls, hits = classify(lines)
        detail = f"no answer within the {deadline - started:g}s deadline: timed out waiting for {step}"
        if cls:
            detail += f"; dlv said: {hits[0][:200]}"
        return "timeout", "timeout", detail, hits or lines[-5:]
    except pexpect.EOF:
        lines = sink.since(0) if sink else []
        cls, hits = classify(lines)
        cls = cls if cls and cls != "build-failed" else "crash"
        return ("fail", cls, f"dlv exited while waiting for {step}. {ADVICE.get(cls, '')}".strip(),
                hits or lines[-8:])
    finally:
        if session is not None:
            leftover.extend(session.killed)
            transcript.extend(session.transcript)
            if sink is not None and sink.partial.strip():
                transcript.append(_ANSI.sub("", sink.partial).replace("\r", "").strip())


def _fail_at(cmd: str, out: list[str], warnings: list[str]) -> None:
    cls, hits = classify(out + warnings)
    if cls not in ("no-debug-info", "ptrace-denied", "arch-mismatch", "go-too-old", "go-too-new"):
        cls, hits = "unexpected-output", []
    advice = ADVICE.get(cls, f"dlv did not do what `{cmd}` asks.")
    said = [ln for ln in out if ln not in hits]
    raise _Failed(cls, f"`{cmd}` failed. {advice}", (hits + said)[:12])


def _ptrace_detail(host: Host) -> str:
    """What the kernel's ptrace policy is here, read through the host (never sysctl)."""
    parts = []
    try:
        value = host.read_text("/proc/sys/kernel/yama/ptrace_scope", 64).strip()
        parts.append(f"Yama's kernel.yama.ptrace_scope is {YAMA.get(value, value)}")
    except Exception:
        parts.append("There is no /proc/sys/kernel/yama/ptrace_scope (no Yama): the refusal comes from "
                     "elsewhere, e.g. a seccomp profile or another security module")
    try:
        status = host.read_text("/proc/self/status", 64 * 1024)
        m = re.search(r"^Seccomp:\s*(\d)", status, re.M)
        if m and m.group(1) == "2":
            parts.append("processes here run under a seccomp filter")
    except Exception:
        pass
    container = None
    if host.stat("/.dockerenv").exists:
        container = "Docker (/.dockerenv exists)"
    elif host.stat("/run/.containerenv").exists:
        container = "Podman (/run/.containerenv exists)"
    else:
        try:
            cgroup = host.read_text("/proc/1/cgroup", 64 * 1024)
            m = re.search(r"(docker|kubepods|containerd|lxc|libpod)", cgroup)
            if m:
                container = f"a container (/proc/1/cgroup mentions {m.group(1)})"
        except Exception:
            pass
    if container:
        parts.append(f"this appears to be {container}: run it with --cap-add=SYS_PTRACE "
                     "(and --security-opt seccomp=unconfined on old Docker)")
    return "; ".join(parts)
