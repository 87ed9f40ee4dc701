"""The Textual driver for a terminal that does not take UTF-8: everything the app writes goes
through charset.to_ascii, one ASCII character per cell, so frames are drawn with `+-|` rather
than shown as `qqq`/`x` (goenv_tui/charset.py says when)."""

from __future__ import annotations

from textual.driver import Driver

from goenv_tui.charset import to_ascii


def ascii_driver(base: type[Driver]) -> type[Driver]:
    class AsciiDriver(base):  # type: ignore[valid-type, misc]
        def write(self, data: str) -> None:
            super().write(to_ascii(data))

    AsciiDriver.__name__ = f"Ascii{base.__name__}"
    return AsciiDriver
