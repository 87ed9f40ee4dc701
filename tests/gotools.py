"""The real Go installations and tools the tests use. Missing ones fail the test, never skip it:
`scripts/install-test-deps.sh` installs them."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

GO = "/usr/local/go/bin/go"
GO119 = "/usr/lib/go-1.19/bin/go"


def _need(path: str, how: str) -> str:
    assert os.path.isfile(path) and os.access(path, os.X_OK), f"{path} is missing: {how}"
    return path


def go() -> str:
    return _need(GO if os.path.exists(GO) else (shutil.which("go") or GO), "Go must be installed at /usr/local/go")


def go119() -> str:
    return _need(GO119, "apt-get install golang-1.19-go (scripts/install-test-deps.sh)")


@cache
def gobin() -> str:
    out = subprocess.run([go(), "env", "GOBIN", "GOPATH"], capture_output=True, text=True, check=True).stdout.split("\n")
    return out[0].strip() or os.path.join(out[1].strip(), "bin")


def gopls() -> str:
    return _need(os.path.join(gobin(), "gopls"), "go install golang.org/x/tools/gopls (scripts/install-test-deps.sh)")


def dlv() -> str:
    return _need(os.path.join(gobin(), "dlv"), "go install github.com/go-delve/delve/cmd/dlv (scripts/install-test-deps.sh)")


def goroot_of(go_binary: str) -> str:
    return str(Path(os.path.realpath(go_binary)).parent.parent)


def go_version(go_binary: str) -> str:
    out = subprocess.run([go_binary, "version"], capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "GOTOOLCHAIN": "local"}).stdout
    return out.split()[2]


def build(tmp: Path, name: str, goarch: str = "amd64", goos: str = "linux") -> str:
    """A tiny real Go program built for goos/goarch, named like a tool."""
    src = tmp / f"src-{name}-{goos}-{goarch}"
    src.mkdir(parents=True, exist_ok=True)
    (src / "go.mod").write_text("module example.com/fake\n\ngo 1.19\n")
    (src / "main.go").write_text('package main\n\nfunc main() { println("fake") }\n')
    out = tmp / f"out-{goos}-{goarch}" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, GOOS=goos, GOARCH=goarch, CGO_ENABLED="0", GOFLAGS="", GOTOOLCHAIN="local")
    subprocess.run([go(), "build", "-o", str(out), "."], cwd=src, env=env, check=True, capture_output=True)
    return str(out)
