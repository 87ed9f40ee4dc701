"""The command line refuses bad input in one line with exit code 2, and reads the common options
wherever they are written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.homes import Home
from tests.test_report import cli


@pytest.mark.parametrize("args,message", [
    (["report", "--timeout", "nan"], "--timeout: 'nan': give a finite number"),
    (["report", "--timeout", "inf"], "--timeout: 'inf': give a finite number"),
    (["report", "--timeout", "-3"], "greater than 0"),
    (["report", "--timeout", "soon"], "'soon' is not a number"),
    (["--timeout", "nan", "report"], "give a finite number"),
    (["report", "--home", ""], "--home: empty path"),
    (["--home", "", "report"], "--home: empty path"),
    (["report", "--home", "/nonexistent/home"], "not a directory"),
    (["--home", "/nonexistent/home", "report"], "not a directory"),
    (["report", "--workspace", ""], "--workspace: empty path"),
    (["report", "--login-shell", "/nonexistent/zsh"], "--login-shell /nonexistent/zsh: no such file"),
    (["report", "--login-shell", "/etc/passwd"], "--login-shell /etc/passwd: not executable"),
    (["report", "--login-shell", "/bin"], "not a regular file"),
    (["report", "--login-shell", "bash"], "give an absolute path"),
    (["fix", "GOENV-X", "--dry-run", "--yes"], "argument --yes: not allowed with argument --dry-run"),
    (["--home", "/tmp", "report", "--home", "/var"], "--home given twice"),
])
def test_bad_input_exits_2_with_one_line(args: list[str], message: str) -> None:
    res = cli(*args)
    assert res.returncode == 2, res.stdout + res.stderr
    assert message in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert res.stdout == ""


@pytest.mark.parametrize("before", [True, False])
def test_common_options_work_before_or_after_the_subcommand(home: Home, before: bool) -> None:
    home.file(".bashrc", "export GOPATH=/opt/marker-gopath\n")
    opts = ["--home", home.path, "--shell", "bash", "--login-shell", "/bin/bash", "--no-probes", "--timeout", "7"]
    res = cli(*(opts + ["report", "--json"] if before else ["report", "--json"] + opts))
    assert res.returncode in (0, 1), res.stderr
    doc = json.loads(res.stdout)
    assert doc["host"]["home"] == home.path  # not the real home
    assert {c["shell"] for c in doc["contexts"]} == {"bash"}
    assert doc["probes"] == []
    ctx = {c["id"]: c for c in doc["contexts"]}
    assert ctx["bash-nologin-interactive"]["env"]["GOPATH"] == "/opt/marker-gopath"


def test_the_same_value_in_both_places_is_fine(home: Home) -> None:
    res = cli("--home", home.path, "report", "--json", "--no-probes", "--shell", "bash", "--home", home.path,
              "--login-shell", "/bin/bash")
    assert res.returncode in (0, 1), res.stderr
    assert json.loads(res.stdout)["host"]["home"] == home.path


def test_undo_list_reads_the_home_given_before_the_subcommand(home: Home, tmp_path: Path) -> None:
    res = cli("--home", home.path, "undo", "--list")
    assert res.returncode == 0, res.stderr
    assert home.path in res.stdout and os.path.expanduser("~") + "/.local" not in res.stdout
