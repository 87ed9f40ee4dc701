"""What an executable is, read from its bytes alone: never by running it.

This module owns turning the bytes of one file into a `BinaryInfo`:

* the container format: ELF, thin Mach-O (32/64-bit, either byte order), fat (universal)
  Mach-O, a `#!` script, or something else;
* the CPU architecture, spelled the way Go spells GOARCH (`amd64`, `arm64`, `ppc64le`, …;
  `amd64+arm64` for a fat file);
* the Go build information the linker embeds since Go 1.18 (the `\\xff Go buildinf:` blob):
  the Go version that built the file, and the main package and module with its version.

Everything except `inspect` is a pure function over bytes, so it can be tested with
hand-made headers. `inspect` is the only entry point that touches the system, and it does so
through a `Host` with one read. Nothing here raises on garbage: truncated, empty or random
input gives a `BinaryInfo` with whatever could be parsed and an `error` that says what not.

Build info written before Go 1.18 stores pointers into the program's address space rather
than inline strings; following them needs a full section/segment map, so this module reports
that format in `error` and leaves the Go version unset instead of guessing.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace

from goenv_tui.host import Host, HostError
from goenv_tui.model import BinaryInfo

# Go binaries are 10–80 MB; anything beyond this is read only in part.
READ_LIMIT = 256 * 1024 * 1024

BUILDINFO_MAGIC = b"\xff Go buildinf:"
_BUILDINFO_ALIGN = 16
_BUILDINFO_HEADER = 32
_FLAG_INLINE = 0x2
_FLAG_BIG_ENDIAN = 0x1
# A file full of magic strings should not turn a quick scan into a long loop.
_MAX_MAGIC_HITS = 256

_ELF_MAGIC = b"\x7fELF"
_ELF_CLASS32, _ELF_CLASS64 = 1, 2
_ELF_DATA_LE, _ELF_DATA_BE = 1, 2

_MACHO_MAGICS = {
    # first four bytes as stored → (is 64-bit, byte order of the header)
    b"\xfe\xed\xfa\xce": (False, ">"),
    b"\xfe\xed\xfa\xcf": (True, ">"),
    b"\xce\xfa\xed\xfe": (False, "<"),
    b"\xcf\xfa\xed\xfe": (True, "<"),
}
_FAT_MAGIC = b"\xca\xfe\xba\xbe"
_FAT_MAGIC_64 = b"\xca\xfe\xba\xbf"
# 0xcafebabe is also a Java class file; there the next word is (minor << 16 | major) with
# major >= 45, whereas a universal binary has a handful of slices.
_FAT_MAX_ARCHS = 30

_MACHO_CPU = {
    0x01000007: "amd64",
    0x0100000C: "arm64",
    7: "386",
    12: "arm",
}


def _elf_arch(machine: int, is64: bool, little: bool) -> str | None:
    if machine == 0x3E:
        return "amd64"
    if machine == 0xB7:
        return "arm64"
    if machine == 0x03:
        return "386"
    if machine == 0x28:
        return "arm"
    if machine == 0xF3:
        return "riscv64" if is64 else None
    if machine == 0x15:
        return "ppc64le" if little else "ppc64"
    if machine == 0x16:
        return "s390x" if is64 else None
    if machine == 0x08:
        base = "mips64" if is64 else "mips"
        return base + "le" if little else base
    if machine == 0x102:
        return "loong64"
    return None


@dataclass(frozen=True)
class GoBuildInfo:
    """The parts of Go's embedded build info this tool uses."""

    go_version: str | None = None
    package_path: str | None = None
    module_path: str | None = None
    module_version: str | None = None
    error: str | None = None


# --- container formats ------------------------------------------------------------------------


def _parse_elf(data: bytes) -> tuple[str | None, str | None]:
    """(arch, error) from an ELF header; the caller has checked the magic."""
    if len(data) < 20:
        return None, f"truncated ELF header ({len(data)} bytes)"
    ei_class, ei_data = data[4], data[5]
    if ei_class not in (_ELF_CLASS32, _ELF_CLASS64):
        return None, f"bad ELF class {ei_class}"
    if ei_data not in (_ELF_DATA_LE, _ELF_DATA_BE):
        return None, f"bad ELF data encoding {ei_data}"
    little = ei_data == _ELF_DATA_LE
    (machine,) = struct.unpack_from("<H" if little else ">H", data, 18)
    is64 = ei_class == _ELF_CLASS64
    arch = _elf_arch(machine, is64, little)
    error = None
    need = 64 if is64 else 52
    if len(data) < need:
        error = f"truncated ELF header ({len(data)} of {need} bytes)"
    elif arch is None:
        error = f"unknown ELF machine 0x{machine:x}"
    return arch, error


def _parse_macho(data: bytes, is64: bool, order: str) -> tuple[str | None, str | None]:
    """(arch, error) from a thin Mach-O header; the caller has checked the magic."""
    if len(data) < 8:
        return None, f"truncated Mach-O header ({len(data)} bytes)"
    (cputype,) = struct.unpack_from(order + "I", data, 4)
    arch = _MACHO_CPU.get(cputype)
    error = None
    need = 32 if is64 else 28
    if len(data) < need:
        error = f"truncated Mach-O header ({len(data)} of {need} bytes)"
    elif arch is None:
        error = f"unknown Mach-O CPU type 0x{cputype:x}"
    return arch, error


def _parse_fat(data: bytes, wide: bool) -> tuple[bool, str | None, str | None]:
    """(is fat, arch, error) from a universal header; the caller has checked the magic."""
    if len(data) < 8:
        return True, None, f"truncated fat Mach-O header ({len(data)} bytes)"
    (nfat,) = struct.unpack_from(">I", data, 4)
    if nfat == 0 or nfat > _FAT_MAX_ARCHS:
        return False, None, None  # a Java class file, or not a universal binary at all
    entry = 32 if wide else 20
    archs: set[str] = set()
    unknown: list[str] = []
    error = None
    for i in range(nfat):
        off = 8 + i * entry
        if off + entry > len(data):
            error = f"truncated fat Mach-O header ({i} of {nfat} slices listed)"
            break
        (cputype,) = struct.unpack_from(">I", data, off)
        name = _MACHO_CPU.get(cputype)
        if name is None:
            unknown.append(f"0x{cputype:x}")
        else:
            archs.add(name)
    if unknown and error is None:
        error = f"unknown Mach-O CPU type(s) in fat file: {', '.join(unknown)}"
    return True, "+".join(sorted(archs)) or None, error


def _shebang(data: bytes) -> str:
    line = data[2:].split(b"\n", 1)[0]
    return line.decode("utf-8", errors="replace").strip()


# --- Go build info ----------------------------------------------------------------------------


def _uvarint(buf: bytes, pos: int) -> tuple[int, int] | None:
    """(value, position after it), as encoding/binary.Uvarint reads it; None if malformed."""
    value = 0
    shift = 0
    for i in range(10):
        if pos + i >= len(buf):
            return None
        b = buf[pos + i]
        if i == 9 and b > 1:
            return None  # overflows 64 bits
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos + i + 1
        shift += 7
    return None


def _inline_string(buf: bytes, pos: int) -> tuple[bytes, int] | None:
    got = _uvarint(buf, pos)
    if got is None:
        return None
    length, start = got
    end = start + length
    if end > len(buf):
        return None
    return bytes(memoryview(buf)[start:end]), end


def _plausible_version(raw: bytes) -> str | None:
    if not raw or len(raw) > 200:
        return None
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return None
    if not text.isprintable():
        return None
    return text


def parse_modinfo(mod: str) -> dict[str, str]:
    """The main package path and main module path/version from a modinfo text.

    `mod` is the text `go version -m` prints (sentinels already stripped): tab-separated
    lines `path`, `mod`, `dep`, `=>` and `build`. Keys in the result: path, mod_path,
    mod_version (each only when present).
    """
    out: dict[str, str] = {}
    for line in mod.split("\n"):
        fields = line.split("\t")
        if fields[0] == "path" and len(fields) >= 2 and "path" not in out:
            out["path"] = fields[1]
        elif fields[0] == "mod" and len(fields) >= 2 and "mod_path" not in out:
            out["mod_path"] = fields[1]
            if len(fields) >= 3 and fields[2]:
                out["mod_version"] = fields[2]
    return out


def _decode_inline(data: bytes, at: int) -> GoBuildInfo | None:
    """Build info in the Go ≥ 1.18 layout at `at`, or None if the bytes there are not that."""
    version = _inline_string(data, at + _BUILDINFO_HEADER)
    if version is None:
        return None
    vers = _plausible_version(version[0])
    if vers is None:
        return None
    mod = _inline_string(data, version[1])
    if mod is None:
        return GoBuildInfo(go_version=vers, error="Go build info: module info truncated")
    raw = mod[0]
    raw = raw[16:-16] if len(raw) >= 32 else b""
    fields = parse_modinfo(raw.decode("utf-8", errors="replace"))
    return GoBuildInfo(
        go_version=vers,
        package_path=fields.get("path"),
        module_path=fields.get("mod_path"),
        module_version=fields.get("mod_version"),
    )


def find_build_info(data: bytes) -> GoBuildInfo | None:
    """Go's embedded build info anywhere in `data`, or None if there is none.

    The blob is 16-byte aligned in the file for every binary the Go linker writes; aligned
    hits are tried first and an unaligned hit is used only if no aligned one decodes. A hit
    must have a sane header (pointer size 4 or 8, no unknown flag bits) and, in the inline
    layout, a printable version string, so the magic appearing as a string constant (as it
    does inside the `go` command itself) is skipped.
    """
    legacy: GoBuildInfo | None = None
    unaligned: list[int] = []
    pos = data.find(BUILDINFO_MAGIC)
    hits = 0
    while pos >= 0 and hits < _MAX_MAGIC_HITS:
        hits += 1
        if pos % _BUILDINFO_ALIGN:
            unaligned.append(pos)
        else:
            found = _decode_at(data, pos)
            if found is not None and found.error != _LEGACY:
                return found
            if found is not None and legacy is None:
                legacy = found
        pos = data.find(BUILDINFO_MAGIC, pos + 1)
    if legacy is not None:
        return legacy
    for pos in unaligned:
        found = _decode_at(data, pos)
        if found is not None:
            return found
    if hits >= _MAX_MAGIC_HITS:
        return GoBuildInfo(error=f"Go build info: gave up after {hits} false matches")
    return None


_LEGACY = "build info in pre-1.18 format"


def _decode_at(data: bytes, pos: int) -> GoBuildInfo | None:
    if len(data) - pos < _BUILDINFO_HEADER:
        return None
    ptr_size, flags = data[pos + 14], data[pos + 15]
    if ptr_size not in (4, 8) or flags & ~(_FLAG_INLINE | _FLAG_BIG_ENDIAN):
        return None
    if flags & _FLAG_INLINE:
        return _decode_inline(data, pos)
    return GoBuildInfo(error=_LEGACY)


# --- entry points -----------------------------------------------------------------------------


def _join(*errors: str | None) -> str | None:
    parts = [e for e in errors if e]
    return "; ".join(parts) if parts else None


def inspect_bytes(path: str, data: bytes) -> BinaryInfo:
    """Classify `data` (the contents of `path`, possibly only its beginning). Never raises."""
    try:
        return _inspect(path, data)
    except Exception as exc:  # a parser bug must not take the collector down
        return BinaryInfo(path=path, format="other", error=f"could not parse: {exc!r}")


def _inspect(path: str, data: bytes) -> BinaryInfo:
    if not data:
        return BinaryInfo(path=path, format="other", error="empty file")
    head = bytes(data[:4])
    if head[:2] == b"#!":
        return BinaryInfo(path=path, format="script", interpreter=_shebang(data))

    fmt = "other"
    arch: str | None = None
    error: str | None = None
    if head == _ELF_MAGIC:
        fmt = "elf"
        arch, error = _parse_elf(data)
    elif head in _MACHO_MAGICS:
        fmt = "macho"
        is64, order = _MACHO_MAGICS[head]
        arch, error = _parse_macho(data, is64, order)
    elif head in (_FAT_MAGIC, _FAT_MAGIC_64):
        is_fat, arch, error = _parse_fat(data, wide=head == _FAT_MAGIC_64)
        if is_fat:
            fmt = "macho-fat"

    build = find_build_info(data)
    if fmt == "other" and build is None:
        error = f"not ELF, Mach-O or a #! script (starts with {head.hex()})"
    if build is None:
        build = GoBuildInfo()
    return BinaryInfo(
        path=path,
        format=fmt,
        arch=arch,
        go_version=build.go_version,
        module_path=build.module_path,
        module_version=build.module_version,
        package_path=build.package_path,
        error=_join(error, build.error),
    )


def inspect(host: Host, path: str, limit: int = READ_LIMIT) -> BinaryInfo:
    """Read `path` once through `host` (at most `limit` bytes) and classify it.

    A remote host samples the binary (header and Go build info block, see
    Host.binary_sample) and sends only those parts instead of the whole file.
    """
    try:
        data = host.binary_sample(path, BUILDINFO_MAGIC, limit)
    except HostError as exc:
        return BinaryInfo(path=path, format="unreadable", error=str(exc) or "unreadable")
    except OSError as exc:  # a Host that lets one through
        return BinaryInfo(path=path, format="unreadable", error=exc.strerror or str(exc))
    if len(data) <= limit:
        return inspect_bytes(path, data)
    info = inspect_bytes(path, data[:limit])
    if info.format in ("elf", "macho", "macho-fat") and info.go_version is None:
        note = f"only the first {limit} bytes were read; Go build info may lie beyond them"
        return replace(info, error=_join(info.error, note))
    return info
