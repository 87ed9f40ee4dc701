"""A Go module proxy served from a directory (GOPROXY=file:///…), built per test: the real go
command reads it exactly as it reads proxy.golang.org, so version lists, go lines and installs
behave as they do on the network, offline and deterministic."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

MAIN = 'package main\n\nimport "fmt"\n\nfunc main() {{ fmt.Println("{module} {version}") }}\n'


class ModProxy:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"file://{self.root}"

    def add(self, module: str, version: str, go_line: str, package: str | None = None, zip_ok: bool = True) -> ModProxy:
        """A release of `module` whose go.mod says `go go_line`; `package` (a path inside it) is a
        main package printing "module version", so `go install package@version` really builds."""
        d = self.root / module.lower() / "@v"
        d.mkdir(parents=True, exist_ok=True)
        gomod = f"module {module}\n\ngo {go_line}\n"
        (d / f"{version}.mod").write_text(gomod)
        (d / f"{version}.info").write_text(json.dumps({"Version": version, "Time": "2026-01-01T00:00:00Z"}))
        if zip_ok:
            rel = (package or module)[len(module):].strip("/")
            with zipfile.ZipFile(d / f"{version}.zip", "w") as z:
                z.writestr(f"{module}@{version}/go.mod", gomod)
                z.writestr(f"{module}@{version}/{rel + '/' if rel else ''}main.go", MAIN.format(module=module, version=version))
        listing = d / "list"
        old = listing.read_text().split() if listing.exists() else []
        listing.write_text("\n".join([*old, version]) + "\n")
        return self


    def add_library(self, module: str, version: str, go_line: str, files: dict[str, str]) -> ModProxy:
        """A release of a library module: `files` (path inside the module → text) beside its go.mod."""
        d = self.root / module.lower() / "@v"
        d.mkdir(parents=True, exist_ok=True)
        gomod = f"module {module}\n\ngo {go_line}\n"
        (d / f"{version}.mod").write_text(gomod)
        (d / f"{version}.info").write_text(json.dumps({"Version": version, "Time": "2026-01-01T00:00:00Z"}))
        with zipfile.ZipFile(d / f"{version}.zip", "w") as z:
            z.writestr(f"{module}@{version}/go.mod", gomod)
            for rel, text in files.items():
                z.writestr(f"{module}@{version}/{rel}", text)
        listing = d / "list"
        old = listing.read_text().split() if listing.exists() else []
        listing.write_text("\n".join([*old, version]) + "\n")
        return self


def tools_proxy(root: Path, gopls: dict[str, str], dlv: dict[str, str] | None = None) -> ModProxy:
    """gopls and dlv releases: version → go line."""
    p = ModProxy(root)
    for v, line in gopls.items():
        p.add("golang.org/x/tools/gopls", v, line)
    for v, line in (dlv or {}).items():
        p.add("github.com/go-delve/delve", v, line, package="github.com/go-delve/delve/cmd/dlv")
    return p


# The local proxy has no checksum database: the tools' modules are exempt (as a company's private
# proxy would make them with GONOSUMDB), everything else still checked.
NOSUMDB = "golang.org/x/tools/gopls,github.com/go-delve/delve"
