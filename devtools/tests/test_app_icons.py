"""devtools.app_icons draws the web app manifest's icons; the committed PNGs are its output."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from devtools import app_icons

COMMITTED = Path(settings.BASE_DIR) / "static" / "img" / "icons"


def test_committed_icons_are_what_the_drawing_script_makes(tmp_path):
    # given the icons drawn afresh
    written = app_icons.write_icons(tmp_path)
    # then they have the committed files' sizes, and a maskable icon fills its square (no transparent corner)
    for path in written:
        with Image.open(path) as fresh, Image.open(COMMITTED / path.name) as committed:
            assert fresh.size == committed.size
    with Image.open(tmp_path / "maskable-512.png") as maskable, Image.open(tmp_path / "icon-512.png") as rounded:
        assert maskable.getpixel((0, 0))[3] == 255 and rounded.getpixel((0, 0))[3] == 0


def test_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        app_icons.main(["--help"])
    assert exit_info.value.code == 0 and "--out" in capsys.readouterr().out
