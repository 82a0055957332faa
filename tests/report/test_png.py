"""The screenshot decoder reads every PNG filter back to the pixels it was given."""

from __future__ import annotations

import pytest

from report.png import decode, encode


def test_every_filter_decodes_to_the_original_pixels() -> None:
    width = 7
    rows = [bytes((x * 37 + y * 11 + c * 5) % 256 for x in range(width) for c in range(3)) for y in range(5)]
    image = decode(encode(width, len(rows), rows, filters=[0, 1, 2, 3, 4]))
    assert (image.width, image.height, image.channels) == (width, 5, 3)
    assert image.rows == rows
    assert sum(image.colours().values()) == width * 5


def test_a_blank_image_has_one_colour() -> None:
    rows = [bytes([250, 250, 250]) * 4 for _ in range(3)]
    assert dict(decode(encode(4, 3, rows, filters=[1, 2, 4])).colours()) == {bytes([250, 250, 250]): 12}


def test_what_is_not_a_png_is_refused() -> None:
    with pytest.raises(ValueError, match="not a PNG"):
        decode(b"GIF89a")
