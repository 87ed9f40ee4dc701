"""A real sshd on 127.0.0.1 (a free port, throwaway keys, everything in a temporary folder of
this session), and user accounts whose homes are fixture homes — one per login shell (bash, zsh,
fish) — for the remote tests. Started once per test session, stopped after."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

SSHD = "/usr/sbin/sshd"
# Accounts of this test session (the machine is shared: another session's sshd and users must
# never be touched, so the names carry our pid and the accounts are removed afterwards).
USER = f"goenv{os.getpid()}b"
# A user per login shell: sshd runs `ssh host cmd` through each one's own shell.
SHELL_USERS = {"bash": (USER, "/bin/bash"), "zsh": (f"goenv{os.getpid()}z", "/bin/zsh"),
               "fish": (f"goenv{os.getpid()}f", "/usr/bin/fish")}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SSHServer:
    def __init__(self, port: int, config: Path, key: Path, user: str, home: Path) -> None:
        self.port, self.config, self.key, self.user, self.home = port, config, key, user, home
        self.root: Path = config.parent
        self.others: dict[str, SSHServer] = {}

    def target(self) -> str:
        return f"{self.user}@goenvtest"

    def options(self) -> list[str]:
        return ["-F", str(self.config)]


def _account(user: str, shell: str, home: Path) -> None:
    home.mkdir(mode=0o755)
    try:
        pwd.getpwnam(user)
    except KeyError:
        subprocess.run(["useradd", "-M", "-d", str(home), "-s", shell, user], check=True)
    # "*" (no password) rather than useradd's "!" (locked): sshd refuses locked accounts.
    subprocess.run(["usermod", "-d", str(home), "-s", shell, "-p", "*", user], check=True, capture_output=True)
    uid = pwd.getpwnam(user).pw_uid
    os.chown(home, uid, uid)


def start_sshd(user: str = USER, extra_users: dict[str, tuple[str, str]] | None = None
               ) -> tuple[subprocess.Popen, SSHServer]:
    """Start sshd on a free loopback port with throwaway keys; `user`'s home is a fresh folder.
    `extra_users` (key → (name, login shell)) get accounts and homes too: `server.others[key]`."""
    assert os.path.exists(SSHD), "openssh-server is required (scripts/install-test-deps.sh)"
    assert os.geteuid() == 0, "the remote tests create a throwaway user account and run as root (as CI does)"
    root = Path(tempfile.mkdtemp(prefix="goenv-tui-sshd-"))
    root.chmod(0o755)  # the test users reach their homes through it
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / "hostkey")], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / "clientkey")], check=True)
    shutil.copy(root / "clientkey.pub", root / "authorized_keys")
    os.chmod(root / "authorized_keys", 0o644)
    home = root / "home"
    _account(user, "/bin/bash", home)
    others: dict[str, tuple[str, Path]] = {}
    for key, (name, shell) in (extra_users or {}).items():
        _account(name, shell, root / f"home-{key}")
        others[key] = (name, root / f"home-{key}")
    port = _free_port()
    (root / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {root}/hostkey\nAuthorizedKeysFile {root}/authorized_keys\n"
        f"PidFile {root}/sshd.pid\nUsePAM no\nStrictModes no\nPermitRootLogin yes\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nLogLevel ERROR\nSubsystem sftp internal-sftp\n"
        # ~/.ssh/environment: what sshd adds that no startup file explains (GOENV-SSH-001).
        "PermitUserEnvironment yes\n")
    (root / "ssh_config").write_text(
        f"Host goenvtest\n  HostName 127.0.0.1\n  Port {port}\n  IdentityFile {root}/clientkey\n"
        f"  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n  IdentitiesOnly yes\n")
    os.makedirs("/run/sshd", exist_ok=True)
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(root / "sshd_config")], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "sshd died"
            assert time.monotonic() < deadline, "sshd did not start"
            time.sleep(0.05)
    server = SSHServer(port, root / "ssh_config", root / "clientkey", user, home)
    server.others = {k: SSHServer(port, root / "ssh_config", root / "clientkey", n, h) for k, (n, h) in others.items()}
    return proc, server


def stop_sshd(proc: subprocess.Popen, server: SSHServer) -> None:
    proc.terminate()
    proc.wait(timeout=10)
    for s in (server, *server.others.values()):
        subprocess.run(["userdel", s.user], capture_output=True, timeout=30)
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def sshd_all():
    """One sshd, a user per login shell: {"bash": server, "zsh": server, "fish": server}."""
    extra = {k: v for k, v in SHELL_USERS.items() if k != "bash" and shutil.which(v[1].rsplit("/", 1)[-1])}
    assert set(extra) == {"zsh", "fish"}, "zsh and fish are required (scripts/install-test-deps.sh)"
    proc, server = start_sshd(extra_users=extra)
    yield {"bash": server, **server.others}
    stop_sshd(proc, server)


@pytest.fixture(scope="session")
def sshd(sshd_all):
    return sshd_all["bash"]
