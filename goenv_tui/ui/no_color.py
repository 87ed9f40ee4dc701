"""NO_COLOR and 16 colours: the screen stays readable, severities keep their colour.

Textual answers NO_COLOR with a monochrome filter that maps each colour to the grey of its
luminance. Red text on the dark background then becomes grey 236 on 235: the errors, the most
important lines, vanish. This filter keeps Textual's greys but lifts any text whose grey is too
close to its background to full contrast (and bold), so nothing written in a colour is lost; the
severity itself reads from its mark and from bold / reverse (see present.severity_style).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import LineFilter, monochrome_style

if TYPE_CHECKING:
    from textual.app import App

# Below this difference in brightness (0..1) text on its background is hard to read.
MIN_CONTRAST = 0.3


@lru_cache(1024)
def readable_style(style: Style, background: Color) -> Style:
    grey = monochrome_style(style)
    if grey.color is None or grey.color.triplet is None:
        return grey
    bg = grey.bgcolor.triplet if grey.bgcolor is not None and grey.bgcolor.triplet is not None else None
    back = Color(*bg) if bg is not None else background.monochrome
    fore = Color(*grey.color.triplet)
    if abs(fore.brightness - back.brightness) >= MIN_CONTRAST:
        return grey
    lifted = (255, 255, 255) if back.brightness < 0.5 else (0, 0, 0)
    return grey + Style(color=RichColor.from_rgb(*lifted), bold=True)


class ReadableMonochrome(LineFilter):
    """Textual's Monochrome, with low-contrast text lifted to full contrast."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [Segment(text, readable_style(style, background) if style else style, None)
                for text, style, _ in segments]


def install(app: App[Any]) -> None:
    """NO_COLOR: swap Textual's filter for the readable one (Textual chose it in App.__init__, from
    the NO_COLOR it also removed from the environment, so app.no_color is the only record)."""
    from textual.filter import Monochrome

    app._filters = [ReadableMonochrome() if isinstance(f, Monochrome) else f for f in app._filters]


def fit_colours(app: App[Any]) -> None:
    """16 colours: keep rich's ANSI colours as they are. Textual otherwise turns "red" into its
    theme's RGB red and back into the nearest of 16, which is magenta (and yellow comes out bright
    red). Called on mount, when the real terminal is known (a headless test run reports 16 colours too)."""
    if not app.is_headless and app.console.color_system == "standard":
        app.ansi_color = True
