"""What every feeds test may want: the sample files in tests/feeds/files/ (copied into the repo,
so CI has them), the shipped profiles, and feed files kept in a folder of the test's own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from feeds.profiles import Profile, parse_profile

FILES = Path(__file__).parent / "files"
PROFILES = Path(__file__).resolve().parent.parent.parent / "feeds" / "profiles"
# The real data.police.uk street file of City of London Police, January 2017 (OGL v3): 483 rows,
# 129 without a crime ID (anti-social behaviour), 14 "No Location" rows.
STREET_ROWS = 483


def shipped_profile(name: str) -> dict:
    """A shipped profile's JSON (feeds/profiles/NAME.json), as a dict to pass to a source."""
    return json.loads((PROFILES / f"{name}.json").read_text())


@pytest.fixture
def police_street_csv() -> Path:
    return FILES / "2017-01-city-of-london-street.csv"


@pytest.fixture
def street_profile() -> Profile:
    return parse_profile(shipped_profile("police-uk-street"))


@pytest.fixture
def feeds_dir(settings, tmp_path: Path) -> Path:
    """Feed files stored under this test's own folder, never the project's var/feeds."""
    folder = tmp_path / "feed-files"
    folder.mkdir()
    settings.FEED_FILES_DIR = folder
    return folder
