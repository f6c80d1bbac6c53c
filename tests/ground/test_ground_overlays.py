"""The film's text: numpy glyph setting gives Pillow's pixels exactly; layouts stay in the frame."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from edlcam.ground.overlays import (AMBER, TELEMETRY_BG, Telemetry, TextItem, TextPainter, caption_box, draw_caption,
                                    draw_label, draw_telemetry, font, label_box, telemetry_items)

NOTE = "sound: mic compressed 3:1 to listen, gain +10…+60 dB"
BOXES = {"column": (900, 608, 1280, 720), "sky-crane strip": (0, 512, 1280, 720)}  # the 1280×720 film's


def _pillow(box, tel):
    im = Image.new("RGB", (1280, 720), (5, 100, 200))
    draw_telemetry(ImageDraw.Draw(im), box, tel, note=NOTE)
    return np.asarray(im)


@pytest.mark.parametrize("layout", sorted(BOXES))
def test_the_telemetry_set_from_cached_glyphs_is_pillows_pixels_exactly(layout):
    box = BOXES[layout]
    painter = TextPainter()
    for k in range(12):  # changing digits, both phases, the cache reused across frames
        tel = Telemetry(f"2021-02-18T20:40:{37 + k:02d}.{(k * 37) % 1000:03d}Z", 239.53 + k / 3,
                        11_876.4 - 950 * k, 412.3 - 37 * k, ("parachute", "powered")[k % 2])
        want = _pillow(box, tel)[box[1]:, box[0]:]
        got = painter.block((1280 - box[0], 720 - box[1]), box[:2], TELEMETRY_BG,
                            telemetry_items(box, tel, note=NOTE))
        assert np.array_equal(got, want), f"frame {k}: {np.argwhere((got != want).any(axis=2))[:3].tolist()}"


def test_touching_glyphs_merge_as_pillow_merges_them():
    # "st" in the 12 px face: the glyphs share a pixel, which Pillow merges as src + dst·(255 − src)/255
    item = TextItem((10, 10), "compressed 3:1 to listen, fly AV", 12, AMBER)
    want = Image.new("RGB", (300, 40), (30, 40, 50))
    ImageDraw.Draw(want).text(item.xy, item.text, fill=item.colour, font=font(12))
    got = np.zeros((40, 300, 3), np.uint8) + np.array((30, 40, 50), np.uint8)
    TextPainter().draw(got, item)
    assert np.array_equal(got, np.asarray(want))


def test_a_label_and_a_caption_cover_their_boxes_as_pillow_draws_them():
    im = Image.new("RGB", (640, 360), (90, 90, 90))
    draw = ImageDraw.Draw(im)
    draw_label(draw, (8, 8), "PUC A", size=16)
    draw_caption(draw, 320, 360, "Heat shield separation")
    a = np.asarray(im)
    x0, y0, x1, y1 = label_box((8, 8), "PUC A", 16)
    assert (a[y0, x0] == 0).all() and (a[y1, x1] == 0).all() and (a[y1 + 1, x1 + 1] == 90).all()
    (cx0, cy0, cx1, cy1), item = caption_box(320, 360, "Heat shield separation")
    assert (a[cy0, cx0] == 0).all() and (a[cy1 + 1, cx1 + 1] == 90).all() and cy1 < 360
    assert abs((cx0 + cx1) / 2 - 320) <= 1  # centred on the panel (±1 px of rounding)
