"""Network settings per context, with real bash traces and a tiny HTTP CONNECT proxy on
127.0.0.1 (started by the test, on a port of its own) for the HTTPS_PROXY cases."""

from __future__ import annotations

import json
import os
import socket
import socketserver
import threading
from pathlib import Path

import pytest

from goenv_tui.model import Severity
from goenv_tui.report import to_json
from tests import gotools
from tests.homes import Home

GO126 = os.path.dirname(gotools.GO)


class _Connect(socketserver.BaseRequestHandler):
    def handle(self) -> None:  # answers CONNECT with 200 and then closes: enough to be "reachable"
        self.request.recv(4096)
        self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")


@pytest.fixture
def http_proxy():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Connect)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there any more
    return port


def fired(d, check: str):
    return [f for f in d.findings if f.check == check]


def home_with(home: Home, extra: str) -> Home:
    home.dir("go/bin").symlink("go/bin/gopls", gotools.gopls()).symlink("go/bin/dlv", gotools.dlv())
    home.file(".profile", '. "$HOME/.bashrc"\n')
    home.file(".bashrc", f'export PATH="{GO126}:$HOME/go/bin:$PATH"\n{extra}')
    return home


def test_unreachable_https_proxy_is_an_error_with_credentials_redacted(home: Home) -> None:
    port = closed_port()
    home_with(home, f"export HTTPS_PROXY=http://alice:s3cr3t@127.0.0.1:{port}\n")
    d = home.diagnose(shells=("bash",))
    [f] = fired(d, "GOENV-NET-002")
    assert f.severity is Severity.ERROR and f"127.0.0.1:{port}" in f.title
    assert [(loc.path, loc.line) for loc in f.locations] == [(home.p(".bashrc"), 2)]
    assert "***@127.0.0.1" in f.detail
    doc = json.dumps(to_json(d))
    assert "s3cr3t" not in json.dumps([x for x in to_json(d)["findings"]]) and "alice" not in f.detail + "".join(f.chain)
    del doc


def test_reachable_proxy_is_fine_and_no_proxy_for_an_internal_goproxy(home: Home, http_proxy: int) -> None:
    home_with(home, f"export HTTPS_PROXY=http://127.0.0.1:{http_proxy}\n"
                    "export GOPROXY=https://goproxy.corp.internal,direct\n")
    d = home.diagnose(shells=("bash",))
    assert not fired(d, "GOENV-NET-002")
    [f] = fired(d, "GOENV-NET-003")
    assert "goproxy.corp.internal" in f.title
    home.file(".bashrc", Path(home.p(".bashrc")).read_text() + "export NO_PROXY=.corp.internal,localhost\n")
    assert not fired(home.diagnose(shells=("bash",)), "GOENV-NET-003")


def test_gosumdb_off_is_a_warning_with_its_line_and_fix(home: Home) -> None:
    home_with(home, "export GOSUMDB=off\n")
    d = home.diagnose(shells=("bash",))
    [f] = fired(d, "GOENV-NET-001")
    assert f.severity is Severity.WARNING and "not verified" in f.title
    assert [(loc.path, loc.line) for loc in f.locations] == [(home.p(".bashrc"), 2)]
    assert any(p.id == "remove-gosumdb" for p in d.plans[f.id])


def test_goinsecure(home: Home) -> None:
    home_with(home, "export GOINSECURE='*'\n")
    [f] = fired(home.diagnose(shells=("bash",)), "GOENV-NET-004")
    assert "far more than one server" in f.detail
