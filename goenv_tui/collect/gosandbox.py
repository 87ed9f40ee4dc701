"""The tool's own places for the Go programs a diagnosis runs (`go env`, the go/gopls/dlv probes).

A diagnosis must leave the analysed home exactly as it was, yet `go env -json` alone (Go 1.26)
fills `$GOCACHE` (~/.cache/go-build, ~270 entries) and writes telemetry counters under
~/.config/go/telemetry; `go build`, gopls (its file cache, its telemetry) and dlv (its
config.yml) write more. So every Go program the tool starts gets:

- `GOCACHE`: the tool's own build cache, outside the home, kept between runs (a cold cache makes
  the go-build probe take tens of seconds). It lives beside the host's temporary directories,
  one per user, created and checked *as the user that runs go* (`mkdir -m 700`, owned by that
  user, not a symlink); when that check fails a cache private to this run is used instead.
  A GOCACHE that Go itself would refuse (`off`, a relative path) is left as it is, so the probes
  still report an unusable build cache.
- `TEST_TELEMETRY_DIR` (honoured by cmd/go and every cmd/* tool since Go 1.23, see
  cmd/internal/telemetry/counter) naming a directory of this run whose mode file says `off`:
  no counters, no upload child.
- for the probes only: a module cache of this run (`GOMODCACHE`), and `XDG_CONFIG_HOME` and
  `XDG_CACHE_HOME` of this run (gopls's telemetry and file cache, dlv's config.yml), with `GOENV`
  set to the go env file the user's go reads, so the `go env -w` values still apply.
  The user's module cache must not be written either (gopls loading a workspace with `-mod=mod`
  downloads what is missing into it), yet what it already holds decides what builds offline. So
  the probes read through it: `GOPROXY=file://<user's GOMODCACHE>/cache/download,<user's GOPROXY>`.
  A module the user has is fetched from their cache (read-only, verified against go.sum as any
  download is) into the private one; one they lack goes on to their own GOPROXY, so
  `GOPROXY=off`, an unreachable proxy or a missing module fail as they would for the user. The
  private cache is named `…/go/pkg/mod` so go's errors about it read like errors about theirs.
  Modules matched by GONOPROXY (GOPRIVATE by default) skip every proxy, file:// included: the
  user's go takes them from its cache, or else goes direct. So the ones the user's cache holds
  are copied from its download cache (`cache/download/<module>/@v`, read only) into the private
  one before the probes start (`copy_private_modules`): go finds them there as it finds them in
  the user's; one the user lacks still goes direct, as theirs would (never to a proxy, which
  would tell the proxy a private module's name).

`go env` then reports the tool's GOCACHE and telemetry directory instead of the user's: the
values are put back (`user_go_values`) from the context's environment, the go env file and Go's
own rules (cmd/go/internal/cache.DefaultDir, os.UserCacheDir, os.UserConfigDir,
x/telemetry's Dir.Mode).
"""

from __future__ import annotations

import contextlib
import posixpath
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import quote

from goenv_tui.host import Host, HostError

TELEMETRY_ENV = "TEST_TELEMETRY_DIR"
DEFAULT_GOPROXY = "https://proxy.golang.org,direct"
CACHE_PREFIX = "goenv-tui-gocache-"

# mkdir as whoever runs go, then prove it is a real directory that user owns and may write.
_ENSURE = 'umask 077; mkdir -p "$1" 2>/dev/null; test ! -L "$1" && test -d "$1" && test -O "$1" && test -w "$1" && chmod 700 "$1"'


@dataclass(frozen=True)
class GoSandbox:
    root: str  # private to this run, removed afterwards
    cache: str  # GOCACHE for the tool's own go runs
    os_name: str

    @property
    def telemetry(self) -> str:
        return f"{self.root}/telemetry"

    @property
    def modcache(self) -> str:
        return f"{self.root}/go/pkg/mod"

    def env(self, env: Mapping[str, str], file_values: Mapping[str, tuple[str, int]] | None = None,
            probe: bool = False, user_modcache: str | None = None, user_goproxy: str | None = None) -> dict[str, str]:
        """`env` (a context's exact environment) with the tool's own places for go to write to.

        With `probe`: the module cache of this run, reading through `user_modcache` (the user's
        GOMODCACHE when it holds downloads) before `user_goproxy` (the GOPROXY the user's go
        uses: environment, go env file or Go's default)."""
        out = dict(env)
        if probe:
            out["GOMODCACHE"] = self.modcache
            # Go makes module files read-only; writable ones can be removed with the rest.
            out["GOFLAGS"] = " ".join(x for x in (env.get("GOFLAGS", ""), "-modcacherw") if x)
            if user_modcache:
                # go reads an empty GOPROXY as its default.
                proxy = user_goproxy or env.get("GOPROXY") or DEFAULT_GOPROXY
                own = "file://" + quote(f"{user_modcache.rstrip('/')}/cache/download")
                out["GOPROXY"] = f"{own},{proxy}"
        if user_gocache(env, file_values or {}, self.os_name) != "off":
            out["GOCACHE"] = self.cache
        out[TELEMETRY_ENV] = self.telemetry
        if probe:
            goenv = env.get("GOENV") or go_env_file(env, self.os_name)
            out["XDG_CONFIG_HOME"] = f"{self.root}/config"
            out["XDG_CACHE_HOME"] = f"{self.root}/cache"
            # An empty GOENV would make go look under our XDG_CONFIG_HOME: "off" is what the
            # user's go has when it cannot find its config directory (no file is read).
            out["GOENV"] = goenv or "off"
        return out


def open_sandbox(host: Host) -> GoSandbox:
    root = host.make_temp_dir("goenv-tui-go-")
    base = posixpath.dirname(root.rstrip("/")) or "/tmp"
    cache = f"{base}/{CACHE_PREFIX}{host.euid()}"

    def mode_off(folder: str) -> None:
        host.makedirs(folder)
        host.write_atomic(f"{folder}/mode", b"off")

    # Three independent steps at once: over ssh each is a round trip, and they came one after
    # another between the traces and the first `go env` (~14 ms of 6 round trips, now ~6).
    with ThreadPoolExecutor(max_workers=3) as pool:
        steps = [pool.submit(mode_off, f"{root}/telemetry"),
                 # gopls and dlv keep telemetry in UserConfigDir/go/telemetry (here: the probes' own
                 # XDG_CONFIG_HOME); "off" there too, so they start no upload child that could outlive them.
                 pool.submit(mode_off, f"{root}/config/go/telemetry")]
        res = host.run(["/bin/sh", "-c", _ENSURE, "sh", cache], env={"PATH": "/usr/bin:/bin"}, timeout=10)
        for step in steps:
            step.result()
    if not res.ok:
        cache = f"{root}/go-build"  # cold, but ours; removed with the rest
    return GoSandbox(root, cache, host.os_name())


# The module folders of a download cache (those holding an @v), relative to it, one a line.
_LIST_MODULES = 'cd "$1" && find . -type d -name @v -prune -print'
# Copy each module's @v folder (its .info, .mod, .zip, .ziphash, list) from $1 into $2.
_COPY_MODULES = 'src=$1; dst=$2; shift 2; for m; do mkdir -p "$dst/$m" && cp -R "$src/$m/@v" "$dst/$m/" || exit 1; done'


def unescape_module_path(escaped: str) -> str:
    """golang.org/x/mod/module.UnescapePath: the module cache writes an upper-case letter as '!'
    and its lower-case form."""
    out = []
    bang = False
    for ch in escaped:
        if bang:
            out.append(ch.upper())
            bang = False
        elif ch == "!":
            bang = True
        else:
            out.append(ch)
    return "".join(out)


def matches_prefix_patterns(patterns: str, path: str) -> bool:
    """golang.org/x/mod/module.MatchPrefixPatterns: does a leading run of `path`'s elements match
    one of the comma-separated globs (GOPRIVATE, GONOPROXY, GONOSUMDB)?"""
    import fnmatch

    elems = path.split("/")
    for glob in patterns.split(","):
        glob = glob.strip().rstrip("/")
        if not glob:
            continue
        parts = glob.split("/")
        if len(parts) > len(elems):
            continue
        # path.Match's '*' never crosses '/', hence element by element; its negated class is [^…].
        if all(fnmatch.fnmatchcase(e, g.replace("[^", "[!")) for e, g in zip(elems, parts, strict=False)):
            return True
    return False


def copy_private_modules(host: Host, sandbox: GoSandbox, user_modcache: str, patterns: str) -> list[str]:
    """Copy the modules matched by `patterns` (the context's GONOPROXY) that the user's download
    cache holds into the probes' own module cache; returns their paths. Only reads the user's
    cache. A failure leaves the probes without them, as before (they go direct)."""
    src = f"{user_modcache.rstrip('/')}/cache/download"
    listed = host.run(["/bin/sh", "-c", _LIST_MODULES, "sh", src], env={"PATH": "/usr/bin:/bin"}, timeout=20)
    if not listed.ok:
        return []
    found = [line[2:] for line in listed.stdout.decode(errors="replace").splitlines() if line.startswith("./")]
    rels = [posixpath.dirname(rel) for rel in found if rel.endswith("/@v")]
    chosen = [rel for rel in rels if rel and matches_prefix_patterns(patterns, unescape_module_path(rel))]
    if not chosen:
        return []
    dst = f"{sandbox.modcache}/cache/download"
    copied = host.run(["/bin/sh", "-c", _COPY_MODULES, "sh", src, dst, *chosen], env={"PATH": "/usr/bin:/bin"},
                      timeout=60)
    return [unescape_module_path(rel) for rel in chosen] if copied.ok else []


def close_sandbox(host: Host, sandbox: GoSandbox) -> None:
    with contextlib.suppress(HostError, OSError):
        host.remove_tree(sandbox.root)


@contextlib.contextmanager
def go_sandbox(host: Host) -> Iterator[GoSandbox]:
    sandbox = open_sandbox(host)
    try:
        yield sandbox
    finally:
        close_sandbox(host, sandbox)


# --- the values the user's own go reports --------------------------------------------------------

def _user_dir(env: Mapping[str, str], os_name: str, xdg: str, darwin: str, default: str) -> str | None:
    """os.UserCacheDir / os.UserConfigDir, or None where Go's returns an error."""
    home = env.get("HOME", "")
    if os_name == "darwin":
        return f"{home}/{darwin}" if home else None
    base = env.get(xdg, "")
    if base:
        return base if base.startswith("/") else None
    return f"{home}/{default}" if home else None


def _user_cache_dir(env: Mapping[str, str], os_name: str) -> str | None:
    return _user_dir(env, os_name, "XDG_CACHE_HOME", "Library/Caches", ".cache")


def _user_config_dir(env: Mapping[str, str], os_name: str) -> str | None:
    return _user_dir(env, os_name, "XDG_CONFIG_HOME", "Library/Application Support", ".config")


def go_env_file(env: Mapping[str, str], os_name: str) -> str:
    """The go env file the user's go reads ($GOENV, else UserConfigDir/go/env; "" if none)."""
    if env.get("GOENV"):
        return env["GOENV"]
    base = _user_config_dir(env, os_name)
    return posixpath.join(base, "go", "env") if base else ""


def user_gocache(env: Mapping[str, str], file_values: Mapping[str, tuple[str, int]], os_name: str) -> str:
    """GOCACHE as the user's go sees it (cmd/go/internal/cache.DefaultDir)."""
    value = env.get("GOCACHE") or (file_values.get("GOCACHE") or ("", 0))[0]
    if value:
        return value if value.startswith("/") or value == "off" else "off"
    base = _user_cache_dir(env, os_name)
    return posixpath.normpath(posixpath.join(base, "go-build")) if base else "off"


def user_telemetry(host: Host, env: Mapping[str, str], os_name: str) -> tuple[str, str]:
    """(GOTELEMETRY, GOTELEMETRYDIR) as the user's go reports them (x/telemetry Dir.Mode)."""
    base = _user_config_dir(env, os_name)
    if base is None:
        return "off", ""
    tdir = posixpath.normpath(posixpath.join(base, "go", "telemetry"))
    try:
        text = host.read_text(f"{tdir}/mode", 4096).strip()
    except HostError:
        return "local", tdir
    return text.split(" ", 1)[0], tdir


def user_go_values(host: Host, raw: Mapping[str, str], env: Mapping[str, str],
                   file_values: Mapping[str, tuple[str, int]], os_name: str) -> dict[str, str]:
    """`go env -json` output of a sandboxed run with the user's own GOCACHE and telemetry put back."""
    out = dict(raw)
    if "GOCACHE" in out:
        out["GOCACHE"] = user_gocache(env, file_values, os_name)
    if "GOTELEMETRY" in out or "GOTELEMETRYDIR" in out:
        mode, tdir = user_telemetry(host, env, os_name)
        if "GOTELEMETRY" in out:
            out["GOTELEMETRY"] = mode
        if "GOTELEMETRYDIR" in out:
            out["GOTELEMETRYDIR"] = tdir
    return out
