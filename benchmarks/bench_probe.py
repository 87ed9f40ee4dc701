"""Benchmark: the gopls probe against a bare script doing the same LSP exchange.

Both start gopls in the same environment on the same scratch module and do initialize,
initialized, didOpen, wait for diagnostics, definition, hover, shutdown, exit. Target: the
probe's session within 10% of the bare script's.

    python benchmarks/bench_probe.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from goenv_tui.host import LocalHost  # noqa: E402
from goenv_tui.probes.gopls import probe_gopls  # noqa: E402
from goenv_tui.probes.scratch import MAIN_GO, PRINTLN, make_scratch  # noqa: E402


def bare(gopls: str, env: dict[str, str], root: str) -> float:
    start = time.perf_counter()
    p = subprocess.Popen([gopls], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=root)
    rid = 0

    def send(obj: dict) -> None:
        body = json.dumps(obj).encode()
        p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        p.stdin.flush()

    def read() -> dict:
        headers = {}
        while True:
            line = p.stdout.readline().strip()
            if not line:
                break
            k, _, v = line.decode().partition(":")
            headers[k.lower()] = v.strip()
        return json.loads(p.stdout.read(int(headers["content-length"])))

    def request(method: str, params) -> dict:
        nonlocal rid
        rid += 1
        send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        while True:
            msg = read()
            if "method" in msg and "id" in msg:
                send({"jsonrpc": "2.0", "id": msg["id"], "result": None if msg["method"] != "workspace/configuration"
                      else [{} for _ in msg["params"]["items"]]})
            elif msg.get("id") == rid:
                return msg

    uri = "file://" + root
    request("initialize", {"processId": None, "rootUri": uri, "workspaceFolders": [{"uri": uri, "name": "x"}],
                           "capabilities": {"workspace": {"configuration": True}}})
    send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    doc = uri + "/main.go"
    send({"jsonrpc": "2.0", "method": "textDocument/didOpen",
          "params": {"textDocument": {"uri": doc, "languageId": "go", "version": 1, "text": MAIN_GO}}})
    while True:
        msg = read()
        if "method" in msg and "id" in msg:
            send({"jsonrpc": "2.0", "id": msg["id"], "result": [{} for _ in msg["params"].get("items", [])] or None})
        elif msg.get("method") == "textDocument/publishDiagnostics" and msg["params"]["uri"] == doc:
            break
    pos = {"textDocument": {"uri": doc}, "position": {"line": PRINTLN[0], "character": PRINTLN[1]}}
    request("textDocument/definition", pos)
    request("textDocument/hover", pos)
    request("shutdown", None)
    send({"jsonrpc": "2.0", "method": "exit", "params": {}})
    p.wait(10)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    gopath = subprocess.run(["go", "env", "GOPATH"], capture_output=True, text=True).stdout.strip()
    gopls = os.path.join(gopath, "bin", "gopls")
    home = tempfile.mkdtemp()
    env = {"PATH": "/usr/local/go/bin:/usr/bin:/bin", "HOME": home, "GOTOOLCHAIN": "local", "GOFLAGS": ""}
    host = LocalHost()
    root = make_scratch(host, None)
    bare(gopls, env, root)
    probe_gopls(host, gopls, env, "bench")
    bares, probes = [], []
    for _ in range(args.runs):
        bares.append(bare(gopls, env, root))
        r = probe_gopls(host, gopls, env, "bench")
        assert r.status == "ok", r.detail
        probes.append(r.duration_ms or 0)
    shutil.rmtree(root, ignore_errors=True)
    b, p = statistics.median(bares), statistics.median(probes)
    print(f"bare LSP exchange:  median {b:.0f} ms")
    print(f"gopls probe session: median {p:.0f} ms  ({(p / b - 1) * 100:+.1f}%, target within 10%)")


if __name__ == "__main__":
    main()
