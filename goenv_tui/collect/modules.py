"""The workspace's required modules: downloaded yet, or blocked?

A fresh clone has its go.mod but an empty module cache, and gopls never downloads by itself (it
runs `go list` with GOPROXY=off), so it reports "module lookup disabled" — which looks exactly like
a network that blocks downloads. The two are told apart here: which required modules are missing
from the context's GOMODCACHE, then one question to the proxy in that context (its GOPROXY,
GONOPROXY/GOPRIVATE, GOINSECURE, HTTPS_PROXY …), asked in a private module cache so that nothing is
written into the home. Answered → "not downloaded yet" (fix: `go mod download`); refused → blocked,
in go's own words.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass

from goenv_tui.collect.toolversions import query_env
from goenv_tui.host import Host, HostError
from goenv_tui.model import ContextTrace, GoEnv, Resolution

# Modules asked about per context: one answer says whether the proxy can be reached; a few more
# catch a private module among public ones.
MAX_ASKED = 4
# What decides where modules come from and where they go (contexts that agree share one question).
_MODULE_VARS = ("GOPROXY", "GONOPROXY", "GOPRIVATE", "GONOSUMDB", "GOSUMDB", "GOINSECURE", "GOFLAGS",
                "GOMODCACHE", "GOENV", "GOVCS")


@dataclass(frozen=True)
class Require:
    path: str
    version: str
    line: int


@dataclass(frozen=True)
class ModuleState:
    """What one context would meet loading the workspace's modules."""

    contexts: tuple[str, ...]
    gomod: str
    gomodcache: str
    missing: tuple[Require, ...]  # required, not in the module cache
    blocked: tuple[tuple[Require, str], ...] = ()  # asked and refused: (module, go's words)
    reachable: tuple[Require, ...] = ()  # asked and answered


def parse_requires(text: str) -> tuple[list[Require], set[str]]:
    """`require` lines (single and block) and the module paths replaced by local directories."""
    out: list[Require] = []
    local: set[str] = set()
    block = None
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("//", 1)[0].strip()
        if not line:
            continue
        if block:
            if line == ")":
                block = None
                continue
            words = line.split()
        else:
            m = re.match(r"(require|replace)\s*(\()?\s*(.*)$", line)
            if not m:
                continue
            if m.group(2):
                block = m.group(1)
                continue
            block_kind = m.group(1)
            words = m.group(3).split()
            _take(block_kind, words, n, out, local)
            continue
        _take(block, words, n, out, local)
    return out, local


def _take(kind: str, words: list[str], n: int, out: list[Require], local: set[str]) -> None:
    if kind == "require" and len(words) >= 2:
        out.append(Require(words[0].strip('"'), words[1], n))
    elif kind == "replace" and "=>" in words:
        target = words[words.index("=>") + 1:]
        if target and target[0].startswith(("./", "../", "/")):
            local.add(words[0].strip('"'))


def escape(path: str) -> str:
    """The module cache's case encoding: "Azure" → "!azure"."""
    return re.sub(r"[A-Z]", lambda m: "!" + m.group(0).lower(), path)


def _vendored(host: Host, root: str, env: dict[str, str]) -> bool:
    if "-mod=mod" in env.get("GOFLAGS", "") or "-mod=readonly" in env.get("GOFLAGS", ""):
        return False
    return host.stat(posixpath.join(root, "vendor", "modules.txt")).is_file


def collect_modules(host: Host, traces: list[ContextTrace], resolutions: dict[str, dict[str, Resolution]],
                    goenvs: dict[str, GoEnv], root: str | None, contexts: set[str]) -> list[ModuleState]:
    if not root:
        return []
    gomod = posixpath.join(root, "go.mod")
    try:
        text = host.read_text(gomod, 1 << 20)
    except (HostError, OSError):
        return []
    requires, local = parse_requires(text)
    requires = [r for r in requires if r.path not in local]
    if not requires:
        return []
    groups: dict[tuple[str, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]], list[ContextTrace]] = {}
    for t in traces:
        if t.id not in contexts or t.status.value != "ok":
            continue
        res = resolutions.get(t.id, {}).get("go")
        ge = goenvs.get(t.id)
        if res is None or res.resolved is None or ge is None or ge.error:
            continue
        values = {k: v.value for k, v in ge.values.items() if k in _MODULE_VARS}
        key = (res.resolved.path, tuple(sorted(values.items())),
               tuple(sorted((k, v) for k, v in t.full_env.items() if k.lower().endswith("_proxy"))))
        groups.setdefault(key, []).append(t)
    out = []
    for key, ts in groups.items():
        go, values = key[0], dict(key[1])
        env = dict(ts[0].full_env)
        if _vendored(host, root, {**env, "GOFLAGS": values.get("GOFLAGS", "")}):
            continue  # -mod=vendor: the modules come from vendor/, nothing to download
        cache = values.get("GOMODCACHE", "")
        if not cache:
            continue
        missing = tuple(r for r in requires
                        if not host.stat(posixpath.join(cache, f"{escape(r.path)}@{r.version}")).is_dir)
        if not missing:
            continue
        blocked, reachable = _ask(host, go, env, values, missing[:MAX_ASKED])
        out.append(ModuleState(tuple(t.id for t in ts), gomod, cache, missing, blocked, reachable))
    return out


def _ask(host: Host, go: str, env: dict[str, str], values: dict[str, str],
         asked: tuple[Require, ...]) -> tuple[tuple[tuple[Require, str], ...], tuple[Require, ...]]:
    scratch = host.make_temp_dir("goenv-tui-modules-")
    try:
        qenv = query_env(env, scratch, values.get("GOENV") or None)
        # The context's module settings, wherever they came from (environment or go env -w).
        for name in ("GOPROXY", "GONOPROXY", "GOPRIVATE", "GONOSUMDB", "GOSUMDB", "GOINSECURE"):
            if values.get(name) is not None:
                qenv[name] = values[name]
        blocked, reachable = [], []
        for r in asked:
            res = host.run([go, "list", "-m", "-json", f"{r.path}@{r.version}"], env=qenv, cwd=scratch, timeout=60)
            err = None
            if res.ok:
                try:
                    err = (json.loads(res.stdout.decode(errors="replace")).get("Error") or {}).get("Err")
                except (json.JSONDecodeError, AttributeError):
                    err = None
            else:
                lines = res.stderr.decode(errors="replace").strip().splitlines()
                err = res.error or (lines[-1] if lines else f"exit status {res.returncode}")
            if err:
                blocked.append((r, err[:400]))
            else:
                reachable.append(r)
        return tuple(blocked), tuple(reachable)
    finally:
        host.remove_tree(scratch)
