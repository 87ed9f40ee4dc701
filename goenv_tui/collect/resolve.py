"""How go, gofmt, gopls, dlv, staticcheck and golangci-lint resolve in each context.

PATH is walked exactly as execvp(3) does: each element in order, an empty element meaning the
current directory, the first candidate that is an executable regular file (after following
symlinks) wins; directories and files without an execute bit are skipped. Every candidate is
recorded, shadowed ones included, with its symlink chain hop by hop (broken links and loops are
detected without following forever), the shim or package manager behind it, and what its bytes
say (format, CPU arch, Go build info) — nothing is executed here.
"""

from __future__ import annotations

import contextlib
import posixpath
import re
import threading
from dataclasses import replace

from goenv_tui.host import FileInfo, Host
from goenv_tui.model import BinaryInfo, Candidate, ContextTrace, GoEnv, Resolution, TraceStatus

TOOLS = ("go", "gofmt", "gopls", "dlv", "staticcheck", "golangci-lint")
MAX_HOPS = 40

# (shim name, test on the chain of paths) — the first that matches names the mechanism.
_SHIMS: list[tuple[str, re.Pattern[str]]] = [
    ("asdf", re.compile(r"/\.asdf/shims/")),
    ("mise", re.compile(r"/mise/shims/|/\.local/share/mise/installs/|/\.local/share/rtx/")),
    ("goenv", re.compile(r"/\.goenv/(shims|versions)/")),
    ("gvm", re.compile(r"/\.gvm/")),
    ("rbenv", re.compile(r"/\.rbenv/(shims|versions)/")),
    ("homebrew", re.compile(r"/Cellar/|^/opt/homebrew/|^/home/linuxbrew/\.linuxbrew/")),
    ("debian-alternatives", re.compile(r"^/etc/alternatives/")),
    ("nix", re.compile(r"^/nix/store/|/\.nix-profile/")),
    ("snap", re.compile(r"^/snap/")),
    ("golang.org/dl", re.compile(r"/sdk/go\d+\.\d+[^/]*/bin/")),
]
# /usr/local/go (the official tarball) and /usr/lib/go-X (Debian) are plain installs: the file on
# PATH is the real go, nothing stands between, so they are not named as a shim or manager.


def shim_of(chain: tuple[str, ...]) -> str | None:
    for name, pattern in _SHIMS:
        if any(pattern.search(p) for p in chain):
            return name
    return None


Stamp = tuple[int, int, int]  # size, mtime_ns, mode: a file is taken as unchanged while they are


def stamp_of(info: FileInfo) -> Stamp | None:
    """The stamp of a stat/lstat result; None for a path that does not exist."""
    return (info.size, info.mtime_ns, info.mode) if info.exists else None


class BinaryCache:
    """Inspects each real file once, however many contexts and PATH entries reach it.

    `known`: another cache whose inspections are reused for files whose stamp is still the same
    (the final resolution after every shell ran reuses the early one's: reading go's build
    info twice was most of that re-run; a file rewritten meanwhile is inspected again)."""

    def __init__(self, host: Host, known: BinaryCache | None = None) -> None:
        self.host = host
        self._info: dict[str, tuple[Stamp | None, BinaryInfo]] = {}
        self._known = dict(known._info) if known is not None else {}
        self._goroot: dict[str, tuple[str | None, str | None]] = {}
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def info(self, realpath: str, stamp: Stamp | None = None) -> BinaryInfo:
        # One inspection per file even when several contexts ask at once (a lock per path).
        with self._lock:
            cached = self._info.get(realpath)
            if cached is not None:
                return cached[1]
            path_lock = self._locks.setdefault(realpath, threading.Lock())
        with path_lock:
            with self._lock:
                cached = self._info.get(realpath)
            if cached is None:
                earlier = self._known.get(realpath)
                if earlier is not None and stamp is not None and earlier[0] == stamp:
                    cached = earlier
                else:
                    from goenv_tui.collect.binfile import inspect

                    cached = (stamp, inspect(self.host, realpath))
                with self._lock:
                    self._info[realpath] = cached
        return cached[1]

    def goroot(self, realpath: str) -> tuple[str | None, str | None]:
        """The Go installation a `go` binary belongs to, and its VERSION (first line)."""
        with self._lock:
            if realpath in self._goroot:
                return self._goroot[realpath]
        bindir = posixpath.dirname(realpath)
        root = posixpath.dirname(bindir) if posixpath.basename(bindir) == "bin" else None
        version = None
        if root is not None:
            if self.host.stat(f"{root}/src/runtime").is_dir or self.host.stat(f"{root}/VERSION").is_file:
                try:
                    first = self.host.read_text(f"{root}/VERSION", 4096).splitlines()
                    version = first[0].strip() if first else None
                except Exception:  # VERSION missing in a source checkout: version comes from go env
                    version = None
            else:
                root = None
        with self._lock:
            self._goroot[realpath] = (root, version)
        return root, version


def follow(host: Host, path: str) -> tuple[tuple[str, ...], str | None, str | None]:
    """Follow `path` hop by hop. Returns (chain, realpath or None, problem or None).

    Each hop is a symlink of the last component; a folder on the way may be a symlink too
    (goenv's and g's versions/X → /usr/local/go, g's ~/.go/bin): the real path is where the
    last hop really lives, with every folder resolved, and it ends the chain when it differs."""
    chain = [path]
    seen = {path}
    cur = path
    for _ in range(MAX_HOPS):
        info = host.lstat(cur)
        if not info.exists:
            return tuple(chain), None, ("broken-link" if len(chain) > 1 else "missing")
        if not info.is_symlink:
            real = cur
            with contextlib.suppress(OSError):
                real = host.realpath(cur)
            if real != cur:
                chain.append(real)
            return tuple(chain), real, None
        target = info.link_target or ""
        base = posixpath.dirname(cur)
        with contextlib.suppress(OSError):
            base = host.realpath(base)
        nxt = posixpath.normpath(target if target.startswith("/") else posixpath.join(base, target))
        chain.append(nxt)
        if nxt in seen:
            return tuple(chain), None, "loop"
        seen.add(nxt)
        cur = nxt
    return tuple(chain), None, "loop"


def path_dirs(path_value: str, cwd: str) -> list[str]:
    """The folders execvp searches, in order (an empty entry is the current directory)."""
    out = []
    for entry in path_value.split(":"):
        directory = entry or "."
        out.append(directory if directory.startswith("/") else posixpath.normpath(posixpath.join(cwd, directory)))
    return out


def candidates_for(host: Host, cache: BinaryCache, tool: str, path_value: str, cwd: str) -> list[Candidate]:
    out: list[Candidate] = []
    for index, (entry, directory) in enumerate(zip(path_value.split(":"), path_dirs(path_value, cwd), strict=True)):
        path = posixpath.join(directory, tool)
        link = host.lstat(path)
        if not link.exists:
            continue
        chain, real, problem = follow(host, path)
        executable = False
        info = None
        goroot = go_version = None
        if real is not None:
            st = host.stat(real)
            if not st.is_file:
                problem = "not-a-file"
            elif not st.mode & 0o111:
                problem = "not-executable"
            else:
                executable = True
                info = cache.info(real, stamp_of(st))
                if tool in ("go", "gofmt"):
                    goroot, go_version = cache.goroot(real)
        out.append(Candidate(
            tool=tool, path=path, entry=entry, index=index, exists=True, executable=executable,
            chain=chain if len(chain) > 1 else (), realpath=real, problem=problem,
            shim=shim_of((path, *chain, real or "")), info=info, goroot=goroot, go_install_version=go_version,
        ))
    return out


def resolve_context(host: Host, cache: BinaryCache, trace: ContextTrace, cwd: str,
                    tools: tuple[str, ...] = TOOLS) -> dict[str, Resolution]:
    path_value = trace.env.get("PATH", "")
    result: dict[str, Resolution] = {}
    for tool in tools:
        cands = candidates_for(host, cache, tool, path_value, cwd)
        resolved = next((c for c in cands if c.executable), None)
        result[tool] = Resolution(tool=tool, context=trace.id, resolved=resolved, candidates=tuple(cands))
    return result


def resolve_all(host: Host, traces: list[ContextTrace], cwd: str, known: BinaryCache | None = None
                ) -> dict[str, dict[str, Resolution]]:
    """Every context at once: on a remote host each lookup is a round trip, and they overlap.
    `known`: an earlier resolution's cache, reused for files not changed since (BinaryCache)."""
    from concurrent.futures import ThreadPoolExecutor

    cache = BinaryCache(host, known)
    ok = [t for t in traces if t.status is TraceStatus.OK]
    host.prefetch(posixpath.join(d, tool) for t in ok for d in path_dirs(t.env.get("PATH", ""), cwd) for tool in TOOLS)
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(ok)))) as pool:
        results = list(pool.map(lambda t: resolve_context(host, cache, t, cwd), ok))
    return {t.id: r for t, r in zip(ok, results, strict=True)}


def through_shims(host: Host, resolutions: dict[str, dict[str, Resolution]],
                  goenvs: dict[str, GoEnv]) -> dict[str, dict[str, Resolution]]:
    """What a shim really runs, from the truth rather than a guess.

    A shim (goenv's, asdf's, mise's … a script that execs the chosen Go) says nothing about
    which Go it starts: that depends on version files and on the context's environment. `go env`
    was run through the shim in that context's exact environment, so its GOROOT and GOVERSION are
    the Go that context really gets; gofmt's shim beside it runs the same Go."""
    out: dict[str, dict[str, Resolution]] = {}
    for cid, by_tool in resolutions.items():
        ge = goenvs.get(cid)
        go = by_tool.get("go")
        cand = go.resolved if go else None
        root = ge.values.get("GOROOT") if ge and not ge.error else None
        if cand is None or cand.goroot is not None or root is None or not root.value:
            out[cid] = by_tool
            continue
        version = ge.values["GOVERSION"].value if ge and "GOVERSION" in ge.values else None
        target_go = posixpath.join(root.value, "bin", "go")
        target = target_go
        with contextlib.suppress(OSError):
            target = host.realpath(target_go)
        shim_dir = posixpath.dirname(cand.path)
        updated = dict(by_tool)
        for tool in ("go", "gofmt"):
            res = by_tool.get(tool)
            if res is None or res.resolved is None or posixpath.dirname(res.resolved.path) != shim_dir:
                continue
            tool_target = target if tool == "go" else posixpath.join(posixpath.dirname(target), tool)
            new = replace(res.resolved, goroot=root.value, go_install_version=version,
                          shim_target=tool_target, shim=res.resolved.shim or "shim")
            updated[tool] = replace(res, resolved=new,
                                    candidates=tuple(new if c is res.resolved else c for c in res.candidates))
        out[cid] = updated
    return out
