"""A minimal LSP client over a pexpect pipe: Content-Length framing, requests, notifications,
and answering the few requests a server sends its client.

gopls's stderr shares the pipe (pexpect's PopenSpawn merges it), so anything between frames is
kept as server output instead of breaking the framing.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import pexpect
from pexpect.popen_spawn import PopenSpawn

from goenv_tui.probes.session import Session

_HEADER = re.compile(rb"Content-Length: (\d+)\r\n(?:[A-Za-z-]+: [^\r\n]*\r\n)*\r\n")


class LspError(Exception):
    """The server answered a request with an error."""


class LspClient:
    def __init__(self, session: Session) -> None:
        self.s = session
        if not isinstance(session.child, PopenSpawn):
            raise TypeError("LSP is spoken over pipes: Session(pty=False)")
        self.child = session.child
        self.next_id = 0
        self.stderr: list[str] = []
        self._buf = b""
        self.notifications: list[dict[str, Any]] = []
        self.messages: list[str] = []  # window/showMessage and logMessage errors/warnings, verbatim

    # wire ---------------------------------------------------------------------------------
    def _send(self, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.child.send(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        method = payload.get("method") or f"response {payload.get('id')}"
        self.s.note(f"→ {method}")

    def _read(self, timeout: float) -> dict[str, Any]:
        """The next frame. Bytes between frames are the server's stderr (the pipe is shared)."""
        while True:
            m = _HEADER.search(self._buf)
            if m:
                size = int(m.group(1))
                if len(self._buf) >= m.end() + size:
                    self._noise(self._buf[: m.start()])
                    body = self._buf[m.end() : m.end() + size]
                    self._buf = self._buf[m.end() + size :]
                    frame: dict[str, Any] = json.loads(body.decode(errors="replace"))
                    return frame
            self.s.remaining(timeout)  # raises on deadline or cancel
            try:
                chunk = self.child.read_nonblocking(65536, timeout=0.05)
            except pexpect.EOF:
                self._noise(self._buf)
                self._buf = b""
                raise
            if chunk:
                self._buf += chunk
            else:
                # PopenSpawn.read_nonblocking returns at once when nothing is queued; do not spin.
                time.sleep(0.002)

    def _noise(self, data: bytes) -> None:
        for line in data.decode(errors="replace").splitlines():
            if line.strip():
                self.stderr.append(line.rstrip())
                self.s.note(f"stderr: {line.rstrip()}")

    # protocol -----------------------------------------------------------------------------
    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params or {}})

    def request(self, method: str, params: dict[str, Any] | None, timeout: float) -> Any:
        self.next_id += 1
        rid = self.next_id
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        while True:
            msg = self._read(self.s.remaining(timeout))
            if msg.get("id") == rid and "method" not in msg:
                if "error" in msg:
                    text = msg["error"].get("message", str(msg["error"]))
                    self.s.note(f"← error {text}")
                    raise LspError(text)
                self.s.note(f"← {method} result")
                return msg.get("result")
            self._handle(msg)

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float) -> dict[str, Any]:
        """Read until a notification satisfies `predicate` (answering server requests meanwhile)."""
        while True:
            msg = self._read(self.s.remaining(timeout))
            if self._handle(msg) and predicate(msg):
                return msg

    def _handle(self, msg: dict[str, Any]) -> bool:
        """Answer server→client requests; record notifications. True for a notification."""
        method = msg.get("method")
        if method is None:
            return False
        if "id" in msg:  # a request from the server
            result: Any = None
            if method == "workspace/configuration":
                result = [{} for _ in msg.get("params", {}).get("items", [])]
            self._send({"jsonrpc": "2.0", "id": msg["id"], "result": result})
            return False
        self.notifications.append(msg)
        params = msg.get("params", {})
        if method in ("window/showMessage", "window/logMessage"):
            kind = params.get("type", 4)
            text = str(params.get("message", "")).strip()
            if kind <= 2 and text:  # 1 error, 2 warning
                self.messages.append(text)
            self.s.note(f"← {method.split('/')[1]}: {text[:300]}")
        elif method == "textDocument/publishDiagnostics":
            diags = params.get("diagnostics", [])
            self.s.note(f"← diagnostics: {len(diags)} for {params.get('uri', '?').rsplit('/', 1)[-1]}")
            for dgn in diags:
                self.s.note(f"   {dgn.get('severity', '?')}: {str(dgn.get('message', ''))[:300]}")
        else:
            self.s.note(f"← {method}")
        return True


TIMEOUT = pexpect.TIMEOUT
EOF_ERROR = pexpect.EOF
