"""The gopls probe: `gopls version`, then gopls started the way an editor starts it (stdio, the
context's environment, the workspace as root) and spoken to in LSP — initialize, initialized,
didOpen, first diagnostics, definition and hover on a standard-library symbol, shutdown, exit.

Failures are classified from gopls's own words (showMessage/logMessage, diagnostics, stderr):
go not found, GOROOT mismatch, no module, Go version too old/new, module downloads blocked,
crash, timeout.
"""

from __future__ import annotations

import posixpath
import re
import threading
from collections.abc import Callable
from urllib.parse import quote, unquote

import pexpect

from goenv_tui.host import Host
from goenv_tui.model import ProbeResult
from goenv_tui.probes.lsp import LspClient, LspError
from goenv_tui.probes.scratch import MAIN_GO, PRINTLN, make_scratch
from goenv_tui.probes.session import Cancelled, Session

# (classification, pattern over gopls's messages, diagnostics and stderr), first match wins.
CLASSES: list[tuple[str, re.Pattern[str]]] = [
    # "Found Go version 1.19, which will be unsupported by gopls v0.17.0. Please upgrade to Go 1.21
    # or later and reinstall gopls" (a showMessage warning: gopls still starts).
    ("go-too-old", re.compile(r"Found Go version \S+, which (will be |is )?(no longer )?(un)?supported|"
                              r"Go version \S+ is (no longer|not) supported by", re.I)),
    ("go-not-found", re.compile(r'exec: "go": executable file not found|go command (is )?required|'
                                r"cannot find (the )?go (command|binary)|go: not found", re.I)),
    ("goroot-mismatch", re.compile(r"does not match go tool version|cannot find GOROOT directory|"
                                   r"package \w+ is not in (std|GOROOT)|could not import (fmt|runtime)|"
                                   r"go: cannot find GOROOT", re.I)),
    # "go: go.work requires go >= 1.27 (running go 1.26.8…)": the workspace file, not gopls.
    ("gowork-version", re.compile(r"go\.work requires go >=|go\.work file .*requires go", re.I)),
    ("go-version", re.compile(r"go\.mod requires go >=|requires go >= |gopls was (not )?built with|"
                              r"unsupported (go )?version|too (old|new) for|please (upgrade|rebuild)|"
                              r"Go version .* is not supported", re.I)),
    ("module-blocked", re.compile(r"GOPROXY=off|module lookup disabled|inconsistent vendoring|-mod=vendor|"
                                  r"cannot find module providing|missing go\.sum entry|"
                                  r"no required module provides|dial tcp|proxy\.golang\.org", re.I)),
    ("no-module", re.compile(r"go\.mod file not found|no packages (found|returned)|"
                             r"not (able|find) .*module|outside (of )?(a |the )?(main )?module|"
                             r"GO111MODULE=off|modules disabled", re.I)),
]

ADVICE = {
    "gowork-version": "go.work asks for a newer Go than the go on this context's PATH.",
    "go-too-old": "The go on this context's PATH is older than this gopls supports.",
    "go-not-found": "gopls runs `go list`; this context's PATH has no go.",
    "goroot-mismatch": "GOROOT and the go on PATH are different Go installations.",
    "go-version": "The go that runs and gopls (or the module's go line) disagree on versions.",
    "module-blocked": "Module downloads are blocked (GOPROXY/GOFLAGS) or vendoring is inconsistent.",
    "no-module": "gopls found no module to load here (no go.mod, or module mode off).",
    "crash": "gopls exited during the session.",
    "timeout": "gopls did not answer in time.",
}


def classify(texts: list[str]) -> tuple[str | None, list[str]]:
    for name, pattern in CLASSES:
        hits = [t for t in texts if pattern.search(t)]
        if hits:
            return name, hits[:5]
    return None, []


def uri(path: str) -> str:
    return "file://" + quote(path)


def probe_gopls(host: Host, gopls: str, env: dict[str, str], context: str, workspace: str | None = None,
                go_version: str | None = None, timeout: float = 60.0, expected_goroot: str | None = None,
                on_line: Callable[[str], None] | None = None,
                cancel: threading.Event | None = None) -> ProbeResult:
    version = None
    res = host.run([gopls, "version"], env=env, timeout=min(10.0, timeout))
    out = (res.stdout + res.stderr).decode(errors="replace")
    m = re.search(r"golang\.org/x/tools/gopls (\S+)", out)
    version = m.group(1) if m else None
    if not res.ok:
        why = res.error or out.strip()[:300]
        kind = "arch-mismatch" if "exec format error" in why else "crash"
        return ProbeResult("gopls", context, "fail", res.duration_ms, version, f"`gopls version` failed: {why}",
                           kind, messages=(why,))
    scratch: str | None = None
    doc: str | None = None
    text, pos = MAIN_GO, PRINTLN
    if workspace is not None:
        doc, text, pos = _pick_document(host, workspace)
    if workspace is not None and doc is not None:
        root = workspace
    else:  # no workspace, or no Go file in it: a scratch module
        scratch = make_scratch(host, go_version)
        root, doc, text, pos = scratch, f"{scratch}/main.go", MAIN_GO, PRINTLN
    timings: dict[str, float] = {}
    session: Session | None = None
    client: LspClient | None = None
    status, classification, detail = "fail", None, None
    try:
        # Started as editors start it: no arguments, LSP on stdio.
        session = Session(host, [gopls], env, root, timeout, pty=False, on_line=on_line, cancel=cancel)
        client = LspClient(session)
        init = client.request("initialize", {
            "processId": None, "rootUri": uri(root), "workspaceFolders": [{"uri": uri(root), "name": posixpath.basename(root)}],
            "capabilities": {"textDocument": {"hover": {"contentFormat": ["plaintext"]}, "publishDiagnostics": {},
                                              "definition": {}},
                             "window": {"showMessage": {}, "workDoneProgress": False},
                             "workspace": {"configuration": True, "workspaceFolders": True}},
            "clientInfo": {"name": "goenv-tui"},
        }, timeout)
        timings["initialize_ms"] = session.elapsed_ms()
        server = (init or {}).get("serverInfo", {})
        session.note(f"server: {server.get('name', '?')} {server.get('version', '')[:80]}")
        client.notify("initialized", {})
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri(doc), "languageId": "go", "version": 1, "text": text}})
        diag = client.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                               and m["params"].get("uri") == uri(doc), timeout)
        timings["first_diagnostics_ms"] = session.elapsed_ms()
        problems = [d for d in diag["params"].get("diagnostics", []) if d.get("severity", 1) == 1]
        position = {"textDocument": {"uri": uri(doc)}, "position": {"line": pos[0], "character": pos[1]}}
        definition = client.request("textDocument/definition", position, timeout)
        timings["definition_ms"] = session.elapsed_ms()
        hover = client.request("textDocument/hover", position, timeout)
        timings["hover_ms"] = session.elapsed_ms()
        target = _first_uri(definition)
        hover_text = _hover_text(hover)
        session.note(f"definition → {target or 'nothing'}")
        session.note(f"hover → {hover_text[:120] or 'nothing'}")
        client.request("shutdown", None, min(10.0, session.remaining()))
        client.notify("exit")
        session.wait_exit(2.0)
        texts = client.messages + [str(d.get("message", "")) for d in problems] + client.stderr
        cls, hits = classify(texts)
        real_target = host.realpath(target) if target else None
        # Compared as real paths: Debian's /usr/lib/go-1.19/src is a link into /usr/share/go-1.19,
        # Homebrew's opt/go/libexec one into the Cellar; neither is another Go.
        real_root = host.realpath(expected_goroot) if expected_goroot else None
        messages = tuple(hits or texts[:5])
        if (target and real_target and expected_goroot and real_root and not _inside(real_target, real_root)
                and not _inside(target, expected_goroot)):
            status, classification = "fail", "goroot-mismatch"
            detail = (f"gopls resolves the standard library in {target.rsplit('/src/', 1)[0]}, but the go on PATH "
                      f"belongs to {expected_goroot}: GOROOT points at another Go installation.")
            # The evidence is where fmt.Println went, not whatever gopls logged on the way out.
            messages = (f"definition of fmt.Println → {target}", *hits)
        elif problems or not target:
            classification = cls or ("broken" if problems else "no-definition")
            detail = (ADVICE.get(classification or "", "gopls reported errors for a file that should compile.")
                      + (f" Definition of fmt.Println: {target or 'not found'}."))
            status = "fail"
        else:
            status = "ok"
            detail = f"definition of fmt.Println → {target}; first diagnostics after {timings['first_diagnostics_ms']:.0f} ms"
            if cls == "go-too-old":
                classification = cls  # works today, unsupported: the checks say which Go to use
            if cls:
                detail += f"; gopls also said: {hits[0][:200]}"
    except Cancelled:
        status, classification, detail = "fail", "cancelled", "cancelled"
        messages = ()
    except pexpect.TIMEOUT:
        status, classification = "timeout", "timeout"
        texts = (client.messages + client.stderr) if client else []
        cls, hits = classify(texts)
        detail = f"no answer within {timeout:g}s" + (f"; gopls said: {hits[0][:200]}" if hits else "")
        classification = cls or "timeout"
        messages = tuple(hits or texts[:5])
    except (pexpect.EOF, LspError, OSError, ValueError) as exc:
        texts = (client.messages + client.stderr) if client else []
        if session is not None:
            rest = _drain(session)
            texts += rest
        cls, hits = classify(texts)
        status = "fail"
        classification = cls or "crash"
        detail = (f"gopls ended the session: {type(exc).__name__}" +
                  (f": {exc}" if str(exc) and not isinstance(exc, pexpect.EOF) else "") +
                  (f"; it said: {hits[0][:200]}" if hits else ""))
        messages = tuple(hits or texts[-5:])
    finally:
        leftover: tuple[int, ...] = ()
        if session is not None:
            session.close()
            leftover = tuple(session.killed)
        if scratch is not None:
            host.remove_tree(scratch)
    duration = session.elapsed_ms() if session else None
    return ProbeResult("gopls", context, status, duration, version, detail, classification, timings,
                       messages, tuple(session.transcript) if session else (), leftover=leftover)


def _inside(path: str, root: str) -> bool:
    return path.startswith(root.rstrip("/") + "/")


def _drain(session: Session) -> list[str]:
    """Whatever the server printed after the last frame (its dying words, usually)."""
    try:
        rest = session.child.read_nonblocking(65536, timeout=0.3)
    except (pexpect.EOF, pexpect.TIMEOUT, OSError, ValueError):
        rest = b""
    text = (rest if isinstance(rest, bytes) else b"").decode(errors="replace")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("Content-Length")]
    for ln in lines:
        session.note(f"stderr: {ln}")
    return lines


def _first_uri(definition: object) -> str | None:
    if isinstance(definition, list) and definition:
        definition = definition[0]
    if isinstance(definition, dict):
        u = definition.get("uri") or definition.get("targetUri")
        # gopls percent-encodes URIs: "/Users/me/Go%20SDK/src/fmt/print.go".
        return unquote(u[7:]) if isinstance(u, str) and u.startswith("file://") else u
    return None


def _hover_text(hover: object) -> str:
    if not isinstance(hover, dict):
        return ""
    contents = hover.get("contents")
    if isinstance(contents, dict):
        return str(contents.get("value", ""))
    if isinstance(contents, list):
        return " ".join(str(c.get("value", c)) if isinstance(c, dict) else str(c) for c in contents)
    return str(contents or "")


def _pick_document(host: Host, workspace: str) -> tuple[str | None, str, tuple[int, int]]:
    """A Go file of the user's workspace that uses fmt.Println (to ask gopls about), if any."""
    stack = [(workspace, 0)]
    while stack:
        directory, depth = stack.pop()
        try:
            names = host.listdir(directory)
        except Exception:
            continue
        for name in names:
            path = posixpath.join(directory, name)
            if name.endswith(".go") and not name.endswith("_test.go"):
                try:
                    text = host.read_text(path, 512 * 1024)
                except Exception:
                    continue
                for n, line in enumerate(text.splitlines()):
                    col = line.find("fmt.Println")
                    if col >= 0:
                        return path, text, (n, col + 4)
            elif (depth < 2 and not name.startswith(".") and name not in ("vendor", "testdata", "node_modules")
                  and host.lstat(path).is_dir):
                stack.append((path, depth + 1))
    return None, "", (0, 0)
