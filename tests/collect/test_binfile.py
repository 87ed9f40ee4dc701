"""binfile: real Go binaries on this machine, freshly cross-built ones, and hand-made headers.

The real binaries are required: a missing one fails the test with a message saying which.
Expected Go versions and modules come from `go version -m` run at test time, never from
constants, so the tests follow whatever toolchain the machine has.
"""

from __future__ import annotations

import os
import random
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from goenv_tui.collect.binfile import BUILDINFO_MAGIC, inspect, inspect_bytes, parse_modinfo
from goenv_tui.host import LocalHost
from goenv_tui.model import BinaryInfo

GO_ENV = {**os.environ, "GOFLAGS": "", "GOTOOLCHAIN": "local"}
TOOLCHAIN_GO = "/usr/local/go/bin/go"
DEBIAN_GO_119 = "/usr/lib/go-1.19/bin/go"


# --- helpers ----------------------------------------------------------------------------------


def _go() -> str:
    go = shutil.which("go")
    if go is None:
        pytest.fail("`go` is not on PATH; these tests need a Go toolchain")
    return go


def _require(path: str, what: str) -> str:
    if not os.path.isfile(path):
        pytest.fail(f"{what} not found at {path}; this test needs it installed")
    return path


def _gopath_bin(tool: str) -> str:
    out = subprocess.run([_go(), "env", "GOPATH"], env=GO_ENV, capture_output=True, text=True,
                         check=True).stdout.strip()
    first = out.split(os.pathsep)[0]
    return _require(f"{first}/bin/{tool}", f"{tool} (from `go install`, in GOPATH/bin)")


def _version_m(path: str) -> dict[str, str]:
    """What `go version -m` says: go version, path, mod path and version."""
    res = subprocess.run([_go(), "version", "-m", path], env=GO_ENV, capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0, f"go version -m {path} failed: {res.stderr}"
    lines = res.stdout.splitlines()
    out = {"go": lines[0].rsplit(": ", 1)[1].strip()}
    for line in lines[1:]:
        fields = line.strip("\t").split("\t")
        if fields[0] == "path" and "path" not in out:
            out["path"] = fields[1]
        elif fields[0] == "mod" and "mod_path" not in out:
            out["mod_path"] = fields[1]
            out["mod_version"] = fields[2]
    return out


def _info(path: str) -> BinaryInfo:
    return inspect(LocalHost(), path)


def _assert_matches_go_version_m(info: BinaryInfo, path: str) -> None:
    want = _version_m(path)
    assert info.go_version == want["go"]
    assert info.package_path == want.get("path")
    assert info.module_path == want.get("mod_path")
    assert info.module_version == want.get("mod_version")


def _elf(machine: int, is64: bool = True, little: bool = True, full: bool = True) -> bytes:
    order = "<" if little else ">"
    ident = b"\x7fELF" + bytes([2 if is64 else 1, 1 if little else 2, 1, 0]) + bytes(8)
    rest = struct.pack(order + "HHI", 2, machine, 1)  # e_type, e_machine, e_version
    size = 64 if is64 else 52
    header = ident + rest
    return header + bytes(size - len(header)) if full else header


def _macho(cputype: int, is64: bool, little: bool) -> bytes:
    order = "<" if little else ">"
    magic = 0xFEEDFACF if is64 else 0xFEEDFACE
    header = struct.pack(order + "IIIIIII", magic, cputype, 0, 2, 0, 0, 0)
    return header + (b"\0\0\0\0" if is64 else b"")


def _fat(slices: list[tuple[int, bytes]], wide: bool = False, align: int = 14) -> bytes:
    """A universal file holding `slices` (cputype, bytes), each at a 2**align boundary."""
    step = 1 << align
    entries = []
    offset = step
    body = b""
    for cputype, blob in slices:
        if wide:
            entries.append(struct.pack(">IIQQII", cputype, 0, offset, len(blob), align, 0))
        else:
            entries.append(struct.pack(">IIIII", cputype, 0, offset, len(blob), align))
        padded = blob + bytes(-len(blob) % step)
        body += padded
        offset += len(padded)
    header = (b"\xca\xfe\xba\xbf" if wide else b"\xca\xfe\xba\xbe") + struct.pack(">I", len(slices))
    header += b"".join(entries)
    return header + bytes(step - len(header)) + body


def _uvarint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _buildinfo(version: str, modinfo: str, flags: int = 0x2) -> bytes:
    """A Go ≥ 1.18 build-info blob as the linker writes it (sentinels included)."""
    mod = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6" + modinfo.encode() + \
        b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2" if modinfo else b""
    header = BUILDINFO_MAGIC + bytes([8, flags]) + bytes(16)
    return header + _uvarint(len(version)) + version.encode() + _uvarint(len(mod)) + mod


def _place(prefix: bytes, blob: bytes, at: int = 4096) -> bytes:
    return prefix + bytes(at - len(prefix)) + blob + bytes(64)


# --- real Go binaries on this machine ---------------------------------------------------------


def test_gopls_matches_go_version_m() -> None:
    path = _gopath_bin("gopls")
    info = _info(path)
    assert (info.format, info.arch) == ("elf", "amd64")
    assert info.module_path == "golang.org/x/tools/gopls"
    assert info.package_path == "golang.org/x/tools/gopls"
    assert info.module_version is not None and info.module_version.startswith("v0.")
    assert info.error is None
    _assert_matches_go_version_m(info, path)


def test_dlv_matches_go_version_m() -> None:
    path = _gopath_bin("dlv")
    info = _info(path)
    assert (info.format, info.arch) == ("elf", "amd64")
    assert info.module_path == "github.com/go-delve/delve"
    assert info.package_path == "github.com/go-delve/delve/cmd/dlv"
    assert info.error is None
    _assert_matches_go_version_m(info, path)


def test_toolchain_go_version_equals_running_it() -> None:
    path = _require(TOOLCHAIN_GO, "the Go toolchain in /usr/local/go")
    info = _info(path)
    assert (info.format, info.arch) == ("elf", "amd64")
    res = subprocess.run([path, "version"], env=GO_ENV, capture_output=True, text=True,
                         check=True, timeout=60)
    # "go version go1.26.8 linux/amd64"
    assert info.go_version == res.stdout.split()[2]
    assert info.package_path == "cmd/go"
    assert info.error is None
    _assert_matches_go_version_m(info, path)


def test_debian_go_119() -> None:
    path = _require(DEBIAN_GO_119, "Debian's golang-1.19 go binary")
    info = _info(path)
    assert (info.format, info.arch) == ("elf", "amd64")
    assert info.go_version is not None and info.go_version.startswith("go1.19.")
    assert info.package_path == "cmd/go"
    assert info.error is None
    _assert_matches_go_version_m(info, path)


# --- freshly built: Mach-O and ELF for arm64 --------------------------------------------------


@pytest.fixture(scope="module")
def hello_builds(tmp_path_factory) -> dict[str, str]:
    go = _go()
    src = tmp_path_factory.mktemp("hello")
    (src / "main.go").write_text('package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n')
    env = {**GO_ENV, "CGO_ENABLED": "0"}
    subprocess.run([go, "mod", "init", "example.com/hello"], cwd=src, env=env, check=True,
                   capture_output=True, timeout=60)
    out = {}
    for goos in ("darwin", "linux"):
        target = str(src / f"hello-{goos}-arm64")
        res = subprocess.run([go, "build", "-o", target, "."], cwd=src,
                             env={**env, "GOOS": goos, "GOARCH": "arm64"},
                             capture_output=True, text=True, timeout=110)
        assert res.returncode == 0, f"GOOS={goos} GOARCH=arm64 go build failed: {res.stderr}"
        out[goos] = target
    return out


@pytest.mark.slow
@pytest.mark.parametrize(("goos", "fmt"), [("darwin", "macho"), ("linux", "elf")])
def test_cross_built_hello(hello_builds: dict[str, str], goos: str, fmt: str) -> None:
    path = hello_builds[goos]
    info = _info(path)
    assert (info.format, info.arch) == (fmt, "arm64")
    assert info.module_path == "example.com/hello"
    assert info.package_path == "example.com/hello"
    assert info.error is None
    want = _version_m(path)
    assert info.module_version == want["mod_version"]  # "(devel)" outside a VCS checkout
    _assert_matches_go_version_m(info, path)


@pytest.mark.slow
def test_fat_file_with_real_slice(hello_builds: dict[str, str]) -> None:
    arm64 = Path(hello_builds["darwin"]).read_bytes()
    data = _fat([(0x01000007, _macho(0x01000007, True, True)), (0x0100000C, arm64)])
    info = inspect_bytes("/x/hello-universal", data)
    assert (info.format, info.arch) == ("macho-fat", "amd64+arm64")
    assert info.module_path == "example.com/hello"
    assert info.go_version == _version_m(hello_builds["darwin"])["go"]


# --- hand-made headers ------------------------------------------------------------------------


@pytest.mark.parametrize(("machine", "is64", "little", "arch"), [
    (0x3E, True, True, "amd64"),
    (0xB7, True, True, "arm64"),
    (0x03, False, True, "386"),
    (0x28, False, True, "arm"),
    (0xF3, True, True, "riscv64"),
    (0x15, True, True, "ppc64le"),
    (0x15, True, False, "ppc64"),
    (0x16, True, False, "s390x"),
    (0x08, False, False, "mips"),
    (0x08, False, True, "mipsle"),
    (0x08, True, False, "mips64"),
    (0x08, True, True, "mips64le"),
    (0x102, True, True, "loong64"),
])
def test_elf_machines(machine: int, is64: bool, little: bool, arch: str) -> None:
    info = inspect_bytes("/x/bin", _elf(machine, is64, little))
    assert (info.format, info.arch, info.error) == ("elf", arch, None)
    assert info.go_version is None


def test_elf_unknown_machine() -> None:
    info = inspect_bytes("/x/bin", _elf(0x9999))
    assert (info.format, info.arch) == ("elf", None)
    assert info.error is not None and "0x9999" in info.error


@pytest.mark.parametrize("cut", [4, 6, 19])
def test_truncated_elf_header_too_short_for_machine(cut: int) -> None:
    info = inspect_bytes("/x/bin", _elf(0x3E)[:cut])
    assert (info.format, info.arch) == ("elf", None)
    assert info.error is not None and "truncated ELF header" in info.error


def test_truncated_elf_header_after_machine() -> None:
    info = inspect_bytes("/x/bin", _elf(0xB7)[:40])
    assert (info.format, info.arch) == ("elf", "arm64")
    assert info.error is not None and "truncated ELF header" in info.error


def test_truncated_real_elf_header() -> None:
    data = Path(_gopath_bin("gopls")).read_bytes()[:12]
    info = inspect_bytes("/x/gopls", data)
    assert info.format == "elf" and info.arch is None
    assert info.error is not None and "truncated" in info.error


@pytest.mark.parametrize("is64", [True, False])
@pytest.mark.parametrize("little", [True, False])
@pytest.mark.parametrize(("cputype", "arch"), [
    (0x01000007, "amd64"), (0x0100000C, "arm64"), (7, "386"), (12, "arm"),
])
def test_thin_macho(cputype: int, arch: str, is64: bool, little: bool) -> None:
    info = inspect_bytes("/x/bin", _macho(cputype, is64, little))
    assert (info.format, info.arch, info.error) == ("macho", arch, None)


def test_macho_unknown_cpu() -> None:
    info = inspect_bytes("/x/bin", _macho(0x12, False, False))  # PowerPC
    assert (info.format, info.arch) == ("macho", None)
    assert info.error is not None


@pytest.mark.parametrize("wide", [False, True])
def test_fat_header(wide: bool) -> None:
    data = _fat([
        (0x0100000C, _macho(0x0100000C, True, True)),
        (0x01000007, _macho(0x01000007, True, True)),
    ], wide=wide)
    info = inspect_bytes("/x/universal", data)
    assert (info.format, info.arch, info.error) == ("macho-fat", "amd64+arm64", None)


def test_fat_header_only() -> None:
    # Just the 8-byte header and two table entries, nothing after: the arch list is still known.
    data = b"\xca\xfe\xba\xbe" + struct.pack(">I", 2)
    data += struct.pack(">IIIII", 0x01000007, 3, 4096, 100, 12)
    data += struct.pack(">IIIII", 0x0100000C, 0, 8192, 100, 12)
    info = inspect_bytes("/x/universal", data)
    assert (info.format, info.arch) == ("macho-fat", "amd64+arm64")


def test_fat_header_truncated_table() -> None:
    data = b"\xca\xfe\xba\xbe" + struct.pack(">I", 2) + struct.pack(">IIIII", 7, 3, 4096, 1, 12)
    info = inspect_bytes("/x/universal", data)
    assert (info.format, info.arch) == ("macho-fat", "386")
    assert info.error is not None and "truncated" in info.error


def test_java_class_is_not_fat() -> None:
    data = b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + bytes(100)
    info = inspect_bytes("/x/Hello.class", data)
    assert info.format == "other" and info.arch is None


@pytest.mark.parametrize(("text", "interpreter"), [
    (b"#!/bin/sh\necho hi\n", "/bin/sh"),
    (b"#! /usr/bin/env python3  \r\nprint(1)\n", "/usr/bin/env python3"),
    (b"#!/bin/bash", "/bin/bash"),
])
def test_script(tmp_path: Path, text: bytes, interpreter: str) -> None:
    script = tmp_path / "tool"
    script.write_bytes(text)
    info = _info(str(script))
    assert (info.format, info.interpreter, info.arch, info.error) == ("script", interpreter, None, None)


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    info = _info(str(empty))
    assert info.format == "other"
    assert info.error == "empty file"


def test_random_garbage() -> None:
    rng = random.Random(1234)
    data = bytes(rng.getrandbits(8) for _ in range(1 << 16))
    info = inspect_bytes("/x/garbage", data)
    assert info.format == "other" and info.arch is None and info.go_version is None
    assert info.error is not None


def test_unreadable_path() -> None:
    info = inspect(LocalHost(), "/nonexistent")
    assert info.format == "unreadable"
    assert info.error is not None and "/nonexistent" in info.error


def test_directory_is_unreadable(tmp_path: Path) -> None:
    info = inspect(LocalHost(), str(tmp_path))
    assert info.format == "unreadable" and info.error


# --- Go build info, synthesized ---------------------------------------------------------------


MODINFO = (
    "path\texample.com/app/cmd/app\n"
    "mod\texample.com/app\tv1.2.3\th1:abc=\n"
    "dep\texample.com/lib\tv0.1.0\th1:def=\n"
    "build\t-compiler=gc\n"
)


def test_inline_buildinfo() -> None:
    data = _place(_elf(0xB7), _buildinfo("go1.22.4", MODINFO))
    info = inspect_bytes("/x/app", data)
    assert (info.format, info.arch, info.error) == ("elf", "arm64", None)
    assert info.go_version == "go1.22.4"
    assert info.package_path == "example.com/app/cmd/app"
    assert (info.module_path, info.module_version) == ("example.com/app", "v1.2.3")


def test_inline_buildinfo_without_modinfo() -> None:
    data = _place(_elf(0x3E), _buildinfo("go1.21.0", ""))
    info = inspect_bytes("/x/app", data)
    assert info.go_version == "go1.21.0"
    assert info.module_path is None and info.package_path is None and info.error is None


def test_pre_118_buildinfo_is_not_guessed() -> None:
    blob = BUILDINFO_MAGIC + bytes([8, 0]) + struct.pack("<QQ", 0x4A0000, 0x4A0010)
    info = inspect_bytes("/x/old", _place(_elf(0x3E), blob))
    assert (info.format, info.arch) == ("elf", "amd64")
    assert info.go_version is None and info.module_path is None
    assert info.error == "build info in pre-1.18 format"


def test_magic_as_string_constant_is_skipped() -> None:
    # The `go` command contains the magic as a literal followed by other string data.
    data = _place(_elf(0x3E), BUILDINFO_MAGIC + b"Go version string garbage follows" * 2, at=4099)
    info = inspect_bytes("/x/app", data)
    assert info.go_version is None and info.error is None


def test_literal_before_real_blob() -> None:
    literal = BUILDINFO_MAGIC + b"\x00\x00" + bytes(32)
    data = _place(_elf(0x3E), literal, at=2048)
    data += bytes(4096 - len(data)) + _buildinfo("go1.24.1", MODINFO) + bytes(64)
    info = inspect_bytes("/x/app", data)
    assert info.go_version == "go1.24.1" and info.error is None


@pytest.mark.parametrize("cut", [14, 20, 31, 32, 33, 40, 60])
def test_truncated_buildinfo_never_raises(cut: int) -> None:
    blob = _buildinfo("go1.22.4", MODINFO)
    data = _elf(0x3E) + bytes(4096 - 64) + blob[:cut]
    info = inspect_bytes("/x/app", data)
    assert (info.format, info.arch) == ("elf", "amd64")
    if cut <= 40:  # version not complete yet: no build info at all
        assert info.go_version is None
    else:  # version read, module info cut short
        assert info.go_version == "go1.22.4"
        assert info.error is not None and "truncated" in info.error


def test_huge_varint_lengths_never_raise() -> None:
    blob = BUILDINFO_MAGIC + bytes([8, 2]) + bytes(16) + b"\xff" * 9 + b"\x01" + b"go1.22"
    info = inspect_bytes("/x/app", _place(_elf(0x3E), blob))
    assert info.go_version is None


def test_many_magic_hits_stay_bounded() -> None:
    # 3.2 MB of false matches: the scan examines a bounded number of hits and still answers.
    # (Its speed is measured in benchmarks/bench_binfile.py, not asserted here.)
    data = _elf(0x3E) + (BUILDINFO_MAGIC + b"\0\0") * 200_000
    info = inspect_bytes("/x/app", data)
    assert info.format == "elf" and info.go_version is None


def test_slices_of_real_binary_never_raise() -> None:
    data = Path(_gopath_bin("gopls")).read_bytes()
    at = data.find(BUILDINFO_MAGIC)
    assert at > 0
    rng = random.Random(7)
    for end in [0, 1, 3, 4, 17, 63, 64, 1000, at + 15, at + 33, at + 200, at + 1000]:
        inspect_bytes("/x/gopls", data[:end])
    for _ in range(50):
        start = rng.randrange(len(data))
        info = inspect_bytes("/x/chunk", data[start:start + rng.randrange(1, 1 << 16)])
        assert isinstance(info, BinaryInfo)


def test_random_garbage_with_magic_never_raises() -> None:
    rng = random.Random(99)
    for _ in range(200):
        junk = bytearray(rng.getrandbits(8) for _ in range(256))
        pos = rng.randrange(0, 200) & ~15
        junk[pos:pos + 14] = BUILDINFO_MAGIC
        junk[pos + 14] = rng.choice([4, 8, rng.getrandbits(8)])
        junk[pos + 15] = rng.choice([0, 1, 2, 3, rng.getrandbits(8)])
        info = inspect_bytes("/x/junk", bytes(junk))
        assert isinstance(info, BinaryInfo)


def test_parse_modinfo() -> None:
    got = parse_modinfo("path\tcmd/go\nbuild\tGOOS=linux\n")
    assert got == {"path": "cmd/go"}
    got = parse_modinfo(MODINFO + "=>\texample.com/fork\tv9.9.9\th1:x=\n")
    assert got == {"path": "example.com/app/cmd/app", "mod_path": "example.com/app",
                   "mod_version": "v1.2.3"}


def test_read_limit_is_reported(tmp_path: Path) -> None:
    f = tmp_path / "big"
    f.write_bytes(_elf(0x3E) + bytes(10_000) + _buildinfo("go1.22.4", MODINFO))
    full = inspect(LocalHost(), str(f))
    assert full.go_version == "go1.22.4"
    capped = inspect(LocalHost(), str(f), limit=4096)
    assert capped.format == "elf" and capped.go_version is None
    assert capped.error is not None and "first 4096 bytes" in capped.error
