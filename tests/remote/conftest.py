"""A real sshd on 127.0.0.1 (a free port, throwaway keys), and a second user account whose
home is a fixture home, for the remote tests. Started once per test session, stopped after."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

SSHD = "/usr/sbin/sshd"
ROOT = Path("/tmp/goenv-tui-sshd")
USER = "goenvtest"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SSHServer:
    def __init__(self, port: int, config: Path, key: Path, user: str, home: Path) -> None:
        self.port, self.config, self.key, self.user, self.home = port, config, key, user, home

    def target(self) -> str:
        return f"{self.user}@goenvtest"

    def options(self) -> list[str]:
        return ["-F", str(self.config)]


def start_sshd(user: str = USER) -> tuple[subprocess.Popen, SSHServer]:
    """Start sshd on a free loopback port with throwaway keys; `user`'s home is a fresh folder."""
    assert os.path.exists(SSHD), "openssh-server is required (scripts/install-test-deps.sh)"
    assert os.geteuid() == 0, "the remote tests create a throwaway user account and run as root (as CI does)"
    if ROOT.exists():
        shutil.rmtree(ROOT)
    ROOT.mkdir(mode=0o755)
    home = ROOT / "home"
    home.mkdir(mode=0o755)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(ROOT / "hostkey")], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(ROOT / "clientkey")], check=True)
    shutil.copy(ROOT / "clientkey.pub", ROOT / "authorized_keys")
    os.chmod(ROOT / "authorized_keys", 0o644)
    try:
        pwd.getpwnam(user)
    except KeyError:
        subprocess.run(["useradd", "-M", "-d", str(home), "-s", "/bin/bash", user], check=True)
    # "*" (no password) rather than useradd's "!" (locked): sshd refuses locked accounts.
    subprocess.run(["usermod", "-d", str(home), "-s", "/bin/bash", "-p", "*", user], check=True, capture_output=True)
    uid = pwd.getpwnam(user).pw_uid
    os.chown(home, uid, uid)
    port = _free_port()
    (ROOT / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {ROOT}/hostkey\nAuthorizedKeysFile {ROOT}/authorized_keys\n"
        f"PidFile {ROOT}/sshd.pid\nUsePAM no\nStrictModes no\nPermitRootLogin yes\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nLogLevel ERROR\nSubsystem sftp internal-sftp\n")
    (ROOT / "ssh_config").write_text(
        f"Host goenvtest\n  HostName 127.0.0.1\n  Port {port}\n  IdentityFile {ROOT}/clientkey\n"
        f"  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n  IdentitiesOnly yes\n")
    os.makedirs("/run/sshd", exist_ok=True)
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(ROOT / "sshd_config")], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "sshd died"
            assert time.monotonic() < deadline, "sshd did not start"
            time.sleep(0.05)
    return proc, SSHServer(port, ROOT / "ssh_config", ROOT / "clientkey", user, home)


@pytest.fixture(scope="session")
def sshd():
    proc, server = start_sshd()
    yield server
    proc.terminate()
    proc.wait(timeout=10)
