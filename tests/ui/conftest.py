"""Keep pytest-textual-snapshot's SVGs under the repository's snapshots/ folder."""

from __future__ import annotations

from pathlib import Path

import pytest_textual_snapshot as pts

SNAPSHOTS = Path(__file__).resolve().parents[2] / "snapshots"


class RepoSnapshots(pts.SVGImageExtension):
    @classmethod
    def dirname(cls, *, test_location) -> str:
        return str(SNAPSHOTS / test_location.basename)


pts.SVGImageExtension = RepoSnapshots
