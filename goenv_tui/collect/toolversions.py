"""Which release of a Go tool can be built by a given Go: asked of the module proxy, before
anything is installed.

`go install golang.org/x/tools/gopls@latest` fails at once when the newest gopls needs a newer Go
than the one on PATH (gopls v0.24 needs Go 1.27; dlv@latest makes Go 1.19 say "invalid go version
'1.25.0'"). The proxy knows every release (`@v/list`) and each release's go.mod gives the Go it
needs (its `go` line), so the newest release that the context's Go can build is known in advance.

The questions are asked with the context's own `go` and proxy settings (GOPROXY from the
environment or the go env file, HTTPS_PROXY, GONOPROXY …), so the answer is what `go install`
there would see; but in a private HOME/GOPATH/GOMODCACHE/GOCACHE under a temp dir, removed
afterwards, so that asking writes nothing into the analysed home. Answers are cached per proxy
for the life of the process.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from typing import Any

from goenv_tui.host import Host, RunResult

# Releases checked for their go line, newest first: enough to step back across a couple of Go
# releases without asking about every version ever tagged.
MAX_PROBED = 12

_lock = threading.Lock()
_versions: dict[tuple[str, str], tuple[str, ...] | str] = {}  # (proxy, module) → versions | error
_golines: dict[tuple[str, str, str], str | None] = {}  # (proxy, module, version) → go line


@dataclass(frozen=True)
class ToolPick:
    """The release of `module` to install with a Go of `go_version`."""

    module: str  # module path, e.g. golang.org/x/tools/gopls
    package: str  # what `go install` names, without @version
    go_version: str | None  # the Go it was picked for ("go1.19.8")
    version: str | None  # the newest release that Go can build; None when there is none
    needs: str | None  # that release's go line
    latest: str | None  # the newest release of all
    latest_needs: str | None  # its go line
    oldest_needs: str | None  # the lowest go line among the releases checked
    error: str | None = None  # the proxy could not be asked (its own words)

    @property
    def spec(self) -> str | None:
        return f"{self.package}@{self.version}" if self.version else None


# tool → (module whose releases and go lines count, the package `go install` builds)
TOOLS: dict[str, tuple[str, str]] = {
    "gopls": ("golang.org/x/tools/gopls", "golang.org/x/tools/gopls"),
    "dlv": ("github.com/go-delve/delve", "github.com/go-delve/delve/cmd/dlv"),
    "staticcheck": ("honnef.co/go/tools", "honnef.co/go/tools/cmd/staticcheck"),
}


def go_tuple(text: str | None) -> tuple[int, int, int] | None:
    """"go1.26.8" / "1.25.0" / "1.21" / "1.27rc1" → comparable (1, 26, 8) / … / (1, 27, -1)."""
    m = re.search(r"(\d+)\.(\d+)(?:\.(\d+)|(rc|beta)\d*)?", text or "")
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else (-1 if m.group(4) else 0)


def can_build(go_version: str | None, go_line: str | None) -> bool:
    have, need = go_tuple(go_version), go_tuple(go_line)
    return have is not None and (need is None or need <= have)


def _semver(v: str) -> tuple[int, ...] | None:
    m = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)", v)
    return tuple(int(x) for x in m.groups()) if m else None


def query_env(env: dict[str, str], scratch: str, goenv_file: str | None) -> dict[str, str]:
    """The context's environment, with everything `go` would write redirected to `scratch`."""
    out = dict(env)
    out.update(HOME=scratch, XDG_CONFIG_HOME=f"{scratch}/config", XDG_CACHE_HOME=f"{scratch}/cache",
               GOPATH=f"{scratch}/gopath", GOMODCACHE=f"{scratch}/modcache", GOCACHE=f"{scratch}/gocache",
               GOTOOLCHAIN="local", GO111MODULE="on", GOWORK="off", GOFLAGS="-mod=mod -modcacherw",
               GOTELEMETRY="off")
    # The go env file (`go env -w GOPROXY=…`) still applies: it says which proxy the user uses.
    if goenv_file and "GOENV" not in env:
        out["GOENV"] = goenv_file
    return out


def _decode(stdout: bytes) -> list[dict[str, Any]]:
    """`go list -m -json a b c` prints one JSON object after another."""
    text = stdout.decode(errors="replace")
    dec = json.JSONDecoder()
    out: list[dict[str, Any]] = []
    i = 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        try:
            obj, i = dec.raw_decode(text, i)
        except json.JSONDecodeError:
            return out
        if isinstance(obj, dict):
            out.append(obj)


def _why(res: RunResult) -> str:
    words = (res.stderr or b"").decode(errors="replace").strip().splitlines()
    return (res.error or (words[-1] if words else "") or f"exit status {res.returncode}")[:300]


def pick(host: Host, go: str, go_version: str | None, tool: str, env: dict[str, str], proxy: str,
         goenv_file: str | None = None, timeout: float = 60.0) -> ToolPick:
    """The newest release of `tool` whose go line `go_version` satisfies (stable releases only)."""
    module, package = TOOLS[tool]
    scratch: str | None = None

    def scratch_dir() -> str:
        nonlocal scratch
        if scratch is None:
            scratch = host.make_temp_dir("goenv-tui-proxy-")
        return scratch

    try:
        with _lock:
            known = _versions.get((proxy, module))
        if known is None:
            d = scratch_dir()
            res = host.run([go, "list", "-m", "-json", "-versions", f"{module}@latest"],
                           env=query_env(env, d, goenv_file), cwd=d, timeout=timeout)
            objs = _decode(res.stdout) if res.ok else []
            if not objs:
                known = f"`go list -m -versions {module}` failed: {_why(res)}"
            else:
                obj = objs[0]
                versions = [v for v in obj.get("Versions") or [] if _semver(v)]
                if obj.get("Version") and _semver(obj["Version"]) and obj["Version"] not in versions:
                    versions.append(obj["Version"])
                known = tuple(sorted(versions, key=lambda v: _semver(v) or ()))
                if obj.get("Version"):
                    with _lock:
                        _golines[(proxy, module, obj["Version"])] = obj.get("GoVersion")
            with _lock:
                _versions[(proxy, module)] = known
        if isinstance(known, str):
            return ToolPick(module, package, go_version, None, None, None, None, None, error=known)
        newest_first = list(reversed(known))[:MAX_PROBED]
        with _lock:
            missing = [v for v in newest_first if (proxy, module, v) not in _golines]
        if missing:
            d = scratch_dir()
            res = host.run([go, "list", "-m", "-json", *(f"{module}@{v}" for v in missing)],
                           env=query_env(env, d, goenv_file), cwd=d, timeout=timeout)
            found = {o.get("Version"): o.get("GoVersion") for o in _decode(res.stdout) if not o.get("Error")}
            with _lock:
                for v in missing:
                    if v in found:
                        _golines[(proxy, module, v)] = found[v]
        with _lock:
            lines = {v: _golines.get((proxy, module, v)) for v in newest_first if (proxy, module, v) in _golines}
        latest = newest_first[0] if newest_first else None
        chosen = next((v for v in newest_first if v in lines and can_build(go_version, lines[v])), None)
        needs = [t for t in map(go_tuple, lines.values()) if t is not None]
        oldest = min(needs) if needs else None
        oldest_text = next((x for x in lines.values() if go_tuple(x) == oldest), None)
        return ToolPick(module, package, go_version, chosen, lines.get(chosen) if chosen else None, latest,
                        lines.get(latest) if latest else None, oldest_text)
    finally:
        if scratch is not None:
            host.remove_tree(scratch)


def clear_cache() -> None:
    with _lock:
        _versions.clear()
        _golines.clear()
