"""VS Code as the Go developer's editor: the settings files it reads (user, Insiders, VSCodium,
workspace, Remote-SSH machine) and the extensions installed, read through the Host.

Owns where those files live, which settings goenv-tui reads from them (with the line of each),
and how the Go extension expands `~`, `${env:X}` and `${workspaceFolder}` in a value (`expand`).
What the settings mean for the user is `checks.vscode`'s business.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping

from goenv_tui.host import Host, HostError
from goenv_tui.jsonc.parse import JsoncError, parse_with_lines
from goenv_tui.model import EditorFacts, Extension, Setting, SettingsFile

# (folder under the OS's config directory, scope). Each is a separate editor with its own settings.
PRODUCTS = (("Code", "user"), ("Code - Insiders", "user-insiders"), ("VSCodium", "vscodium"))
# The Remote-SSH server keeps "machine" settings on the remote host; they apply to every window
# connected to it, between user and workspace settings.
REMOTE_SERVERS = (".vscode-server", ".vscode-server-insiders")
EXTENSION_DIRS = (
    ".vscode/extensions",
    ".vscode-insiders/extensions",
    ".vscode-oss/extensions",  # VSCodium
    ".vscode-server/extensions",  # Remote-SSH server: the extensions that run on this host
    ".vscode-server-insiders/extensions",
)

# Settings read as they are.
PLAIN_KEYS = (
    "go.goroot", "go.gopath", "go.toolsGopath", "go.useLanguageServer", "go.inferGopath",
    "go.toolsManagement.go", "terminal.integrated.inheritEnv", "gopls", "go.languageServerFlags",
)
# Objects kept whole and also flattened one level: `go.toolsEnvVars.GOFLAGS`, …
OBJECT_KEYS = (
    "go.alternateTools", "go.toolsEnvVars",
    "terminal.integrated.env.linux", "terminal.integrated.env.osx", "terminal.integrated.env.windows",
)

# A settings.json is a few kilobytes; anything this large is not one a person wrote.
MAX_SETTINGS_BYTES = 4 * 1024 * 1024
MAX_PACKAGE_JSON_BYTES = 4 * 1024 * 1024

_ERROR_LINE = re.compile(r"^line (\d+): ")
_ENV_REF = re.compile(r"\$\{env:([^}]+)\}")


def settings_paths(home: str, workspace: str | None, os_name: str) -> list[tuple[str, str]]:
    """(path, scope) of every settings file VS Code may read, in increasing precedence."""
    home = home.rstrip("/")
    base = f"{home}/Library/Application Support" if os_name == "darwin" else f"{home}/.config"
    out = [(f"{base}/{product}/User/settings.json", scope) for product, scope in PRODUCTS]
    out += [(f"{home}/{server}/data/Machine/settings.json", "remote-machine") for server in REMOTE_SERVERS]
    if workspace:
        out.append((f"{workspace.rstrip('/')}/.vscode/settings.json", "workspace"))
    return out


def error_line(error: str | None) -> int | None:
    """The line a SettingsFile.error names (errors are written "line N: …"), or None."""
    m = _ERROR_LINE.match(error or "")
    return int(m.group(1)) if m else None


def expand(value: str, home: str, workspace: str | None, env: Mapping[str, str]) -> str:
    """Expand a setting value the way the Go extension does (`resolvePath(substituteEnv(v))`):
    `${env:X}` (unset → empty), then `${workspaceFolder}`/`${workspaceRoot}`/
    `${workspaceFolderBasename}` when a folder is open, then a leading `~` joined onto HOME with
    Node's path.join (so `~/go` and even `~go` both land under HOME)."""
    if not value or not value.strip():
        return value
    out = _ENV_REF.sub(lambda m: env.get(m.group(1).strip(), ""), value)
    if workspace:
        ws = workspace.rstrip("/") or "/"
        out = out.replace("${workspaceFolder}", ws).replace("${workspaceRoot}", ws)
        out = out.replace("${workspaceFolderBasename}", posixpath.basename(ws))
    if out.startswith("~"):
        out = posixpath.normpath(f"{home.rstrip('/')}/{out[1:].lstrip('/')}")
    return out


def _missing(error: str | None) -> bool:
    return not error or "No such file" in error or "Not a directory" in error


def _read_settings(host: Host, path: str, scope: str) -> tuple[SettingsFile | None, list[Setting]]:
    info = host.stat(path)
    if not info.exists:
        if _missing(info.error):
            return None, []
        return SettingsFile(path, scope, error=f"line 1: cannot be read ({info.error})"), []
    if info.is_dir:
        return SettingsFile(path, scope, error="line 1: is a directory, not a file"), []
    try:
        data = host.read_bytes(path, MAX_SETTINGS_BYTES + 1)
    except HostError as exc:
        return SettingsFile(path, scope, error=f"line 1: cannot be read ({exc})"), []
    if len(data) > MAX_SETTINGS_BYTES:
        return SettingsFile(path, scope, error=f"line 1: larger than {MAX_SETTINGS_BYTES // (1024 * 1024)} MB, not read"), []
    text = data.decode("utf-8", errors="replace")
    try:
        value, lines = parse_with_lines(text, allow_empty=True)
    except JsoncError as exc:
        return SettingsFile(path, scope, error=str(exc)), []
    if value is None:  # empty or comments only: VS Code reads it as no settings
        return SettingsFile(path, scope), []
    if not isinstance(value, dict):
        kind = "a list" if isinstance(value, list) else "a single value"
        return SettingsFile(path, scope, error=f"line 1: settings must be an object ({{ … }}), found {kind}"), []
    settings: list[Setting] = []
    for key in (*PLAIN_KEYS, *OBJECT_KEYS):
        if key not in value:
            continue
        settings.append(Setting(key, value[key], path, lines.get((key,), 1), scope))
        if key in OBJECT_KEYS and isinstance(value[key], dict):
            for name, item in value[key].items():
                settings.append(Setting(f"{key}.{name}", item, path, lines.get((key, name), 1), scope))
    return SettingsFile(path, scope), settings


def parse_folder_name(name: str) -> tuple[str, str | None]:
    """`golang.go-0.46.1` → ("golang.go", "0.46.1"): the version starts after the last `-`
    followed by a digit (extension names may contain dashes themselves)."""
    for i in range(len(name) - 2, -1, -1):
        if name[i] == "-" and name[i + 1].isdigit():
            return name[:i].lower(), name[i + 1:]
    return name.lower(), None


def _from_package_json(host: Host, folder: str) -> tuple[str, str | None] | None:
    try:
        data = host.read_bytes(f"{folder}/package.json", MAX_PACKAGE_JSON_BYTES + 1)
    except HostError:
        return None
    if len(data) > MAX_PACKAGE_JSON_BYTES:
        return None
    try:
        manifest = json.loads(data.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return None
    if not isinstance(manifest, dict):
        return None
    publisher, name, version = manifest.get("publisher"), manifest.get("name"), manifest.get("version")
    if not (isinstance(publisher, str) and isinstance(name, str) and publisher and name):
        return None
    return f"{publisher}.{name}".lower(), version if isinstance(version, str) else None


def _obsolete(host: Host, root: str) -> set[str]:
    """Folders VS Code has uninstalled but not deleted yet (it removes them on next start)."""
    try:
        data = json.loads(host.read_text(f"{root}/.obsolete", 1024 * 1024))
    except (HostError, ValueError, RecursionError):
        return set()
    return {k for k, v in data.items() if v} if isinstance(data, dict) else set()


def list_extensions(host: Host, home: str) -> list[Extension]:
    out: list[Extension] = []
    for rel in EXTENSION_DIRS:
        root = f"{home.rstrip('/')}/{rel}"
        if not host.stat(root).is_dir:
            continue
        try:
            names = host.listdir(root)
        except HostError:
            continue
        obsolete = _obsolete(host, root)
        for name in names:
            if name.startswith(".") or name in obsolete:
                continue
            folder = f"{root}/{name}"
            if not host.stat(folder).is_dir:
                continue  # extensions.json and other bookkeeping files
            ext_id, version = _from_package_json(host, folder) or parse_folder_name(name)
            if "." not in ext_id:
                continue
            out.append(Extension(ext_id, version, folder))
    return out  # in EXTENSION_DIRS order, then by folder name


def collect_vscode(host: Host, home: str, workspace: str | None, os_name: str) -> EditorFacts:
    """Every VS Code settings file that exists (with the settings goenv-tui reads) and every
    installed extension. Missing files are left out; broken ones carry an error with its line."""
    files: list[SettingsFile] = []
    settings: list[Setting] = []
    for path, scope in settings_paths(home, workspace, os_name):
        sf, found = _read_settings(host, path, scope)
        if sf is not None:
            files.append(sf)
            settings.extend(found)
    return EditorFacts(settings=tuple(settings), files=tuple(files), extensions=tuple(list_extensions(host, home)))
