"""Go settings that break editors and builds: module mode off, -mod=vendor, GOPROXY off or
private without GOPRIVATE, a pinned GOTOOLCHAIN that cannot be had, and `go env -w` values the
shell never shows."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator

from goenv_tui.checks.base import (
    CheckContext,
    check,
    context_go,
    finding,
    goenv_value,
    parse_go_version,
    relevant_contexts,
    source_phrase,
)
from goenv_tui.display import where
from goenv_tui.fixes.builders import FixContext, disable, go_env_unset
from goenv_tui.fixes.plan import PlannedFix
from goenv_tui.model import Finding, Location, Severity

PUBLIC_PROXY = "proxy.golang.org"
PUBLIC_SUMDB = ("", "sum.golang.org", "sum.golang.org https://sum.golang.org")


def _by_value(ctx: CheckContext, name: str, pred: Callable[[str], bool]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for cid in relevant_contexts(ctx):
        v = goenv_value(ctx, cid, name)
        if v is not None and pred(v.value):
            out.setdefault(v.value, []).append(cid)
    return out


def _loc(ctx: CheckContext, cid: str, name: str) -> list[Location]:
    v = goenv_value(ctx, cid, name)
    return [v.location] if v and v.location else []


@check("GOENV-MOD-001", Severity.ERROR, "Module mode off", also=(Severity.INFO,), wrong_value=True)
def module_mode(ctx: CheckContext) -> Iterator[Finding]:
    """GO111MODULE=off (a GOPATH-era leftover) makes gopls and `go build` ignore go.mod: "go:
    modules disabled by GO111MODULE=off", "cannot find package"."""
    for value, ids in _by_value(ctx, "GO111MODULE", lambda v: v in ("off", "auto")).items():
        v = goenv_value(ctx, ids[0], "GO111MODULE")
        off = value == "off"
        yield finding(
            value, Severity.ERROR if off else Severity.INFO,
            f"GO111MODULE={value}{source_phrase(ctx, v)}",
            ("Module mode is off: go and gopls ignore go.mod, so imports of modules fail and gopls shows "
             "\"cannot find package\". Remove the setting (modules are the default since Go 1.16)."
             if off else "GO111MODULE=auto is the pre-1.16 behaviour: outside a module, GOPATH mode is used. "
             "Remove the setting unless you still build GOPATH projects."),
            variable="GO111MODULE", contexts=ids, locations=_loc(ctx, ids[0], "GO111MODULE"),
        )


@check("GOENV-MOD-002", Severity.WARNING, "GOFLAGS forces -mod=vendor", wrong_value=True)
def mod_vendor(ctx: CheckContext) -> Iterator[Finding]:
    """GOFLAGS=-mod=vendor set globally breaks every module without a vendor directory:
    "inconsistent vendoring" or "cannot find module providing package"."""
    for value, ids in _by_value(ctx, "GOFLAGS", lambda v: "-mod=vendor" in v.split()).items():
        v = goenv_value(ctx, ids[0], "GOFLAGS")
        yield finding(
            value, Severity.WARNING, f"GOFLAGS={value}{source_phrase(ctx, v)}",
            "-mod=vendor applies to every module you touch, and fails in those without an up-to-date vendor/ "
            "directory (\"inconsistent vendoring\"). Go already uses vendor/ automatically when it is present; "
            "remove -mod=vendor from GOFLAGS.",
            variable="GOFLAGS", contexts=ids, locations=_loc(ctx, ids[0], "GOFLAGS"),
        )


@check("GOENV-PROXY-001", Severity.WARNING, "GOPROXY=off", wrong_value=True)
def proxy_off(ctx: CheckContext) -> Iterator[Finding]:
    """GOPROXY=off blocks every module download: "module lookup disabled by GOPROXY=off", and
    `go install gopls@latest` cannot work."""
    for value, ids in _by_value(ctx, "GOPROXY", lambda v: v.strip() == "off").items():
        v = goenv_value(ctx, ids[0], "GOPROXY")
        yield finding(
            value, Severity.WARNING, f"GOPROXY=off{source_phrase(ctx, v)}",
            "Module downloads are disabled: any dependency not already in the module cache fails with "
            "\"module lookup disabled by GOPROXY=off\", and tools cannot be installed or updated.",
            variable="GOPROXY", contexts=ids, locations=_loc(ctx, ids[0], "GOPROXY"),
        )


@check("GOENV-PROXY-002", Severity.WARNING, "Private proxy with the public checksum database")
def private_proxy(ctx: CheckContext) -> Iterator[Finding]:
    """A company GOPROXY serving private modules, with GOSUMDB still sum.golang.org and no
    GOPRIVATE/GONOSUMDB: private modules fail "verifying module: … 410 Gone / not found"."""
    found: dict[str, list[str]] = {}
    for cid in relevant_contexts(ctx):
        proxy = goenv_value(ctx, cid, "GOPROXY")
        if not proxy or proxy.value in ("", "off", "direct") or PUBLIC_PROXY in proxy.value:
            continue
        sumdb = goenv_value(ctx, cid, "GOSUMDB")
        private = goenv_value(ctx, cid, "GOPRIVATE")
        nosum = goenv_value(ctx, cid, "GONOSUMDB")
        if (sumdb is None or sumdb.value in PUBLIC_SUMDB) and not (private and private.value) and not (nosum and nosum.value):
            found.setdefault(proxy.value, []).append(cid)
    for value, ids in found.items():
        v = goenv_value(ctx, ids[0], "GOPROXY")
        yield finding(
            value, Severity.WARNING,
            f"GOPROXY={value} but private modules are still checked against sum.golang.org",
            f"GOPROXY{source_phrase(ctx, v)} is a private proxy, yet GOSUMDB is the public checksum database and "
            "neither GOPRIVATE nor GONOSUMDB is set: private modules fail with \"verifying module: … not found\". "
            "Set GOPRIVATE to your module path patterns (e.g. `github.com/yourorg/*`).",
            variable="GOPROXY", contexts=ids, locations=_loc(ctx, ids[0], "GOPROXY"),
        )


def _toolchain_cached(ctx: CheckContext, cid: str, version: str) -> bool:
    modcache = goenv_value(ctx, cid, "GOMODCACHE")
    goos, goarch = goenv_value(ctx, cid, "GOHOSTOS"), goenv_value(ctx, cid, "GOHOSTARCH")
    if not modcache or not goos or not goarch:
        return False
    d = posixpath.join(modcache.value, "golang.org", f"toolchain@v0.0.1-{version}.{goos.value}-{goarch.value}")
    return ctx.is_dir(d)


@check("GOENV-TOOLCHAIN-001", Severity.ERROR, "GOTOOLCHAIN asks for a toolchain that cannot be had", also=(Severity.INFO,), tools=("go",))
def toolchain(ctx: CheckContext) -> Iterator[Finding]:
    """GOTOOLCHAIN=go1.X.Y pins a toolchain: if it is not installed and downloads are off
    (GOPROXY=off), every go command fails "go: downloading go1.X.Y: … module lookup disabled"."""
    found: dict[tuple[str, str], list[str]] = {}
    for cid in relevant_contexts(ctx):
        v = goenv_value(ctx, cid, "GOTOOLCHAIN")
        if not v or not v.value.startswith("go"):
            continue
        name = v.value.split("+", 1)[0]
        _, local = context_go(ctx, cid)
        if parse_go_version(local) == parse_go_version(name) or _toolchain_cached(ctx, cid, name):
            continue
        path_mode = v.value.endswith("+path")
        proxy = goenv_value(ctx, cid, "GOPROXY")
        offline = proxy is not None and proxy.value.strip() in ("off", "")
        state = "error" if (path_mode or offline) else "download"
        found.setdefault((v.value, state), []).append(cid)
    for (value, state), ids in found.items():
        v = goenv_value(ctx, ids[0], "GOTOOLCHAIN")
        if state == "error":
            yield finding(
                value, Severity.ERROR, f"GOTOOLCHAIN={value} cannot be satisfied",
                f"GOTOOLCHAIN{source_phrase(ctx, v)} requires {value.split('+')[0]}, which is not installed here and "
                "cannot be downloaded (GOPROXY=off or +path): every go command fails. Install it or use "
                "GOTOOLCHAIN=auto.",
                variable="GOTOOLCHAIN", contexts=ids, locations=_loc(ctx, ids[0], "GOTOOLCHAIN"),
            )
        else:
            yield finding(
                value, Severity.INFO, f"GOTOOLCHAIN={value} will be downloaded on first use",
                f"GOTOOLCHAIN{source_phrase(ctx, v)} pins {value.split('+')[0]}, which is not in the module cache: the "
                "first go command downloads it (slow, and fails offline).",
                variable="GOTOOLCHAIN", contexts=ids, locations=_loc(ctx, ids[0], "GOTOOLCHAIN"),
            )


@check("GOENV-GOENVW-001", Severity.INFO, "Settings from `go env -w`")
def go_env_w(ctx: CheckContext) -> Iterator[Finding]:
    """Values written months ago with `go env -w` live in the go env file, invisible in every
    startup file: GOPROXY=off or GOFLAGS there is the "I checked my .zshrc" trap."""
    files: dict[str, list[str]] = {}
    for cid in relevant_contexts(ctx):
        ge = ctx.facts.goenvs.get(cid)
        if ge and ge.file and ge.file_values:
            files.setdefault(ge.file, []).append(cid)
    for path, ids in files.items():
        ge = ctx.facts.goenvs[ids[0]]
        chain = []
        for name, (value, line) in sorted(ge.file_values.items(), key=lambda kv: kv[1][1]):
            shadowed = [c for c in ids if (gv := goenv_value(ctx, c, name)) and gv.source == "env" and gv.value != value]
            note = f" — overridden by the environment in {', '.join(shadowed)}" if shadowed else ""
            chain.append(f"{ctx.tilde(path)}:{line} {name}={value}{note}")
        yield finding(
            path, Severity.INFO,
            f"{len(ge.file_values)} setting{'s' if len(ge.file_values) > 1 else ''} from `go env -w` in {ctx.tilde(path)}",
            "These values were written with `go env -w`; they apply wherever the environment does not set the "
            "same variable, and no startup file shows them. `go env -u NAME` removes one.",
            contexts=ids, chain=chain,
            locations=[ctx_loc for ctx_loc in (_file_loc(path, line) for _, (_, line) in ge.file_values.items())],
        )


def _file_loc(path: str, line: int) -> Location:
    return Location(path, line)


# --- fixes ---------------------------------------------------------------------------------------

@module_mode.fix
@mod_vendor.fix
@proxy_off.fix
def go_setting(fc: FixContext, f: Finding) -> list[PlannedFix]:
    name = f.variable or ""
    out = go_env_unset(fc, f, name)
    for loc in f.locations:
        if loc.line and fc.editable(loc.path) and not loc.path.endswith("/go/env"):
            why = {"GOSUMDB": "it turned off checksum verification", "GOINSECURE": "it skipped HTTPS checks"}.get(
                name, f"{name} breaks module builds and gopls")
            p = disable(fc, f, loc, why, f"remove-{name.lower()}",
                         f"Comment out {name} at {where(fc.home, loc)}")
            if p:
                out.append(p)
    return out
