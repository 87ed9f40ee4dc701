"""The journal and backups are untrusted input (issue 13.2, 13.15): a planted or broken journal
never makes `undo` write outside the home, and every failure is one clear line, exit 2, with
nothing half-written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from goenv_tui.fixes.journal import Journal, JournalError
from goenv_tui.host import LocalHost
from tests.fixes.test_engine import GO_DIR, apply, plan
from tests.homes import Home


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "goenv_tui", *args], capture_output=True, text=True, timeout=120)


def _applied(home: Home):
    home.file(".bashrc", f"export PATH={GO_DIR}:$PATH\nGOFLAGS=-v\n")
    d, f, planned = plan(home, "GOENV-EXPORT-001")
    out = apply(home, d, planned)
    assert out.applied and out.entry is not None
    return out.entry


def _lines(journal: Journal) -> list[dict]:
    return [json.loads(x) for x in Path(journal.path).read_text().splitlines()]


def _write(journal: Journal, entries: list) -> None:
    Path(journal.path).write_text("".join(json.dumps(e) + "\n" for e in entries))
    os.chmod(journal.path, 0o600)


def _one_line_exit_2(res: subprocess.CompletedProcess[str], expected: str) -> None:
    assert res.returncode == 2, res.stdout + res.stderr
    assert expected in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "internal error" not in res.stderr


def test_planted_entry_cannot_write_outside_the_home(home: Home) -> None:
    _applied(home)
    journal = Journal(LocalHost(), home.path)
    outside = tempfile.mkdtemp(prefix="goenv-tui-outside-")
    try:
        evil = os.path.join(outside, "suid-shell")
        payload = Path(home.p("payload"))
        payload.write_bytes(b"#!/bin/sh\nid\n")
        planted = dict(_lines(journal)[0], id="20260101-000000-e71111", state="pending",
                       files=[{"path": evil, "existed": True, "backup": str(payload), "mode": 0o4777,
                               "sha_before": None, "sha_after": None}])
        _write(journal, _lines(journal) + [planted])
        res = cli("undo", planted["id"], "--home", home.path)
        _one_line_exit_2(res, f"{evil!r} is outside {home.path} and not the file the fix changed; not trusted")
        assert os.listdir(outside) == []
        # The same through `..` inside the home, and a backup taken from elsewhere.
        planted["files"][0]["path"] = home.p("../../" + os.path.relpath(evil, "/"))
        _write(journal, _lines(journal)[:1] + [planted])
        _one_line_exit_2(cli("undo", planted["id"], "--home", home.path), "is not a plain absolute path")
        planted["files"][0]["path"] = home.p(".bashrc")
        _write(journal, _lines(journal)[:1] + [planted])
        _one_line_exit_2(cli("undo", planted["id"], "--home", home.path), "backup")
        assert os.listdir(outside) == []
        assert planted["id"] in cli("undo", "--list", "--home", home.path).stderr  # refused as a whole, named
    finally:
        import shutil

        shutil.rmtree(outside, ignore_errors=True)


def test_recorded_modes_are_masked(home: Home) -> None:
    entry = _applied(home)
    journal = Journal(LocalHost(), home.path)
    rows = _lines(journal)
    rows[0]["files"][0]["mode"] = 0o6777
    _write(journal, rows)
    res = cli("undo", entry.id, "--home", home.path)
    assert res.returncode == 0, res.stderr
    mode = os.stat(home.p(".bashrc")).st_mode & 0o7777
    assert mode == 0o775, oct(mode)  # no setuid/setgid/sticky, not world-writable


def test_journal_writable_by_others_or_not_the_owners_is_refused(home: Home) -> None:
    entry = _applied(home)
    journal = Journal(LocalHost(), home.path)
    os.chmod(journal.path, 0o666)
    _one_line_exit_2(cli("undo", entry.id, "--home", home.path), "is writable by others (mode 666); not trusted")
    _one_line_exit_2(cli("undo", "--list", "--home", home.path), "not trusted")
    os.chmod(journal.path, 0o600)
    if os.geteuid() == 0:
        os.chown(journal.path, 54321, 54321)
        _one_line_exit_2(cli("undo", entry.id, "--home", home.path), "is owned by uid 54321, not by the home's owner")


@pytest.mark.parametrize("line,message", [
    ("[1, 2]", "not a journal entry (a JSON list, not an object)"),
    ("{\"id\": 3}", "not a journal entry (no id, time, finding, check, fix, title, state)"),
    ("{not json", "Expecting property name"),
])
def test_malformed_journal_lines_are_one_clear_line(home: Home, line: str, message: str) -> None:
    entry = _applied(home)
    journal = Journal(LocalHost(), home.path)
    with open(journal.path, "a") as fh:
        fh.write(line + "\n")
    for args in (["undo", "--list"], ["undo", entry.id]):
        _one_line_exit_2(cli(*args, "--home", home.path), f"{journal.path}:2: {message}")
    with pytest.raises(JournalError):
        journal.entries()


def test_deleted_backup_refuses_with_nothing_restored(home: Home) -> None:
    entry = _applied(home)
    after = Path(home.p(".bashrc")).read_bytes()
    os.unlink(entry.files[0].backup)
    _one_line_exit_2(cli("undo", entry.id, "--home", home.path), "cannot be read")
    assert Path(home.p(".bashrc")).read_bytes() == after
    assert [e.state for e in Journal(LocalHost(), home.path).entries()] == ["applied"]


def test_undo_list_quotes_paths(home: Home) -> None:
    entry = _applied(home)
    res = cli("undo", "--list", "--home", home.path)
    assert res.returncode == 0
    assert f"{entry.id}  applied" in res.stdout and "['~/.bashrc']" in res.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tiny tmpfs needs root (CI is root)")
def test_full_disk_refuses_cleanly(home: Home) -> None:
    home.file(".bashrc", f"export PATH={GO_DIR}:$PATH\nGOFLAGS=-v\n")
    d, f, _ = plan(home, "GOENV-EXPORT-001")
    original = Path(home.p(".bashrc")).read_bytes()
    state = Path(home.p(".local/state"))
    state.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(state)], check=True)
    try:
        with pytest.raises(OSError), open(state / "fill", "wb") as fh:
            while True:
                fh.write(b"\0" * 4096)
                fh.flush()
        res = cli("fix", f.id, "--yes", "--no-probes", "--home", home.path, "--shell", "bash", "--login-shell", "/bin/bash")
        _one_line_exit_2(res, "No space left on device")
        assert "nothing was written" in res.stderr
        assert Path(home.p(".bashrc")).read_bytes() == original
        assert not (state / "goenv-tui" / "journal.jsonl").exists()  # no `pending` entry
    finally:
        subprocess.run(["umount", "-l", str(state)], check=False)


# A real `goenv-tui fix` in which the disk fills up right after the backups and the `pending`
# entry were written (the moment a full disk does the most harm): a wrapper fills the given
# folder when the first `pending` entry has been saved, then runs the real CLI.
_FILL_AFTER_BACKUP = """
import sys
from goenv_tui.fixes import journal as j

fill_dir = sys.argv[1]
original = j.Journal.save

def save(self, entry):
    original(self, entry)
    if entry.state == "pending" and not getattr(save, "filled", False):
        save.filled = True
        try:
            with open(fill_dir + "/fill", "wb") as fh:
                while True:
                    fh.write(b"\\0" * 4096)
                    fh.flush()
        except OSError:
            pass

j.Journal.save = save
from goenv_tui.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _mount_tiny(path: Path, size: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tiny tmpfs needs root (CI is root)")
@pytest.mark.parametrize("full", ["state", "home"])
def test_disk_full_after_the_backup_leaves_nothing_half_written(tmp_path, full: str) -> None:
    """`state`: the journal's disk fills (the fix is written, recording it fails); `home`: the
    home's disk fills (writing the fix itself fails). Either way: the file as it was, the entry
    recorded as rolled back (not `pending`), one clear line, exit 2."""
    root = tmp_path / "home"
    state = root / ".local" / "state"
    mounted = root if full == "home" else state
    _mount_tiny(mounted, "64k" if full == "home" else "16k")
    try:
        home = Home(root)
        home.file(".bashrc", f"export PATH={GO_DIR}:$PATH\nGOFLAGS=-v\n")
        _, f, _ = plan(home, "GOENV-EXPORT-001")
        original = Path(home.p(".bashrc")).read_bytes()
        res = subprocess.run([sys.executable, "-c", _FILL_AFTER_BACKUP, str(mounted), "fix", f.id, "--yes",
                              "--no-probes", "--home", home.path, "--shell", "bash", "--login-shell", "/bin/bash"],
                             capture_output=True, text=True, timeout=180)
        assert (mounted / "fill").stat().st_size > 0  # the disk really was filled
        _one_line_exit_2(res, "No space left on device")
        assert "~/.bashrc left as it was" in res.stderr and "marked rolled back" in res.stderr, res.stderr
        assert Path(home.p(".bashrc")).read_bytes() == original
        (mounted / "fill").unlink()
        entries = Journal(LocalHost(), home.path).entries()
        assert [e.state for e in entries] == ["rolled-back"], [(e.state, e.verdict) for e in entries]
        assert "No space left on device" in entries[0].verdict
        listed = cli("undo", "--list", "--home", home.path)
        assert listed.returncode == 0 and "rolled-back" in listed.stdout, listed.stdout + listed.stderr
        refused = cli("undo", entries[0].id, "--home", home.path)
        assert refused.returncode == 2 and "nothing to undo" in refused.stderr, refused.stderr
        assert Path(home.p(".bashrc")).read_bytes() == original
    finally:
        subprocess.run(["umount", "-l", str(mounted)], check=False)
