"""`film` end to end with synthetic cameras and microphone: stores, umbilical losses, report, products."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from onboard_fixtures import EVENTS, MINOR, SyntheticCameras, small_mission, synthetic_audio, synthetic_image

from edlcam.onboard.film import encode_image, film, mosaic_rggb, store_dir
from edlcam.onboard.products import decode_image
from edlcam.onboard.store import (
    FORMAT_BAYER_PNG,
    FORMAT_BAYER_RGGB8,
    FORMAT_PNG,
    FORMAT_RAW,
    iter_records,
    read_record,
    scan_store,
)


@pytest.fixture(scope="module")
def filmed(tmp_path_factory):
    run = tmp_path_factory.mktemp("run")
    from onboard_fixtures import write_events

    write_events(run)
    # 200 kbit/s: the umbilical cannot keep up with the descent stage, so records are lost at the cut
    mission = small_mission(umbilical_rate_bps=2e5)
    cams = SyntheticCameras(mission)
    result = film(run, mission=mission, frame_source=cams, audio_source=synthetic_audio)
    return run, mission, cams, result


def test_every_frame_of_the_schedule_is_recorded_as_the_sensor_delivers_it(filmed):
    run, mission, cams, result = filmed
    ds = {(r.source, r.frame_index): r for r in iter_records(store_dir(run, "descent_stage"))}
    rover = {(r.source, r.frame_index): r for r in iter_records(store_dir(run, "rover"))}
    for w in result.schedule.windows:
        home = ds if w.unit == "descent_stage" else rover
        n = sum(1 for (s, _) in home if s == w.source)
        assert n == w.frames if not w.is_audio else n == int(np.ceil(w.duration_s / mission.onboard.audio_block_s))
    rec = rover[("rdc", 7)]
    v = mission.cameras.views["rdc"]
    assert rec.format == FORMAT_BAYER_RGGB8 and (rec.width, rec.height) == (v.width_px, v.height_px)
    assert rec.payload == mosaic_rggb(synthetic_image("rdc", 7, v.height_px, v.width_px, False)).tobytes()
    assert rec.sclk_s == pytest.approx(mission.onboard.sclk_at_entry_interface_s + EVENTS["heatshield_separation"] + v.start_offset_s + 7 / v.fps,
                                       abs=1e-6)  # SCLK = SCLK(EI) + t
    lcam = rover[("lcam", 0)]
    assert lcam.format == FORMAT_RAW and lcam.channels == 1  # mono camera stored as it comes
    # the cameras were asked for exactly their windows
    assert ("rdc", "full", EVENTS["heatshield_separation"] - 1.0, EVENTS["touchdown"] + 5.0) in cams.calls


def test_lost_records_are_exactly_those_that_did_not_cross(filmed):
    run, mission, cams, result = filmed
    ds = {(r.source, r.frame_index): r.payload for r in iter_records(store_dir(run, "descent_stage"))}
    rover = {(r.source, r.frame_index): r.payload for r in iter_records(store_dir(run, "rover"))}
    crossed = {k for k in ds if k in rover}
    for k in crossed:
        assert rover[k] == ds[k]  # forwarded byte-identical
    report = json.loads(result.report_path.read_text())
    lost = set()
    for source, entry in report["umbilical"]["lost"].items():
        for first, last in entry["frames"]:
            lost |= {(source, i) for i in range(first, last + 1)}
    assert lost == set(ds) - crossed and lost
    umb = report["umbilical"]
    assert umb["cut_event"] == "bridle_cut" and umb["t_cut_s"] == MINOR["bridle_cut"]
    # a saturated 200 kbit/s link cannot move more than rate × (cut − first record) bytes
    assert umb["bytes_crossed"] <= 2e5 / 8 * (MINOR["bridle_cut"] - (EVENTS["parachute_deploy"] - 1.0))
    assert umb["lost"]["ddc"]["reasons"]["recorded after cut"] > 0  # the DDC ran past the cut


def test_products_manifest_matches_the_files(filmed):
    import av
    import soundfile

    run, mission, cams, result = filmed
    root = run / "onboard" / "products"
    products = json.loads((root / "manifest.json").read_text())["products"]
    keys = {"id", "kind", "camera", "path", "size_bytes", "sha256", "priority", "t_start_s", "t_end_s",
            "frame_first", "frame_last", "sclk_start", "sclk_end"}
    for p in products:
        assert set(p) == (keys | {"encoding"} if p["kind"] == "lossless" else keys)
        data = (root / p["path"]).read_bytes()
        assert len(data) == p["size_bytes"] and hashlib.sha256(data).hexdigest() == p["sha256"]
    assert [p["priority"] for p in products] == sorted(p["priority"] for p in products)
    thumbs = {p["id"] for p in products if p["kind"] == "thumbnail"}
    rover = scan_store(store_dir(run, "rover")).records
    assert thumbs == {f"{r.source}-thumb-{r.frame_index:06d}" for r in rover if r.source != "microphone"}
    rdc_thumb = next(p for p in products if p["id"] == "rdc-thumb-000003")
    assert rdc_thumb["path"] == "rdc/thumb/000003.jpg" and rdc_thumb["priority"] == 1 + 0
    # the H.264 segments hold every rdc frame
    frames = 0
    for p in products:
        if p["kind"] == "video" and p["camera"] == "rdc":
            with av.open(str(root / p["path"])) as c:
                frames += sum(1 for _ in c.decode(video=0))
            assert p["t_end_s"] - p["t_start_s"] < mission.onboard.products.video_segment_s
    assert frames == sum(1 for r in rover if r.source == "rdc")
    # lossless = the sensor's pixels bit for bit: a colour camera's Bayer mosaic, a mono camera's frame
    import cv2

    by_id = {(r.source, r.frame_index): r for r in rover}
    sensor_bytes = 0
    for p in (q for q in products if q["kind"] == "lossless"):
        rec = read_record(store_dir(run, "rover"), by_id[(p["camera"], p["frame_first"])])
        png = cv2.imread(str(root / p["path"]), cv2.IMREAD_UNCHANGED)
        colour = mission.cameras.views[p["camera"]].colour != "mono"
        assert p["encoding"] == ("bayer_rggb8" if colour else "mono8")
        assert png.shape == (rec.height, rec.width)
        assert png.tobytes() == rec.payload
        # every row Sub-filtered, as [onboard.products] lossless_png_filter asks
        assert set(_png_row_filters((root / p["path"]).read_bytes(), rec.width)) == {1}
        sensor_bytes += png.size
    # the lossless compression ratio counts the sensor's bytes (one a pixel for a mosaic)
    assert result.report["products"]["lossless"]["uncompressed_bytes"] == sensor_bytes
    audio = next(p for p in products if p["kind"] == "audio")
    samples, rate = soundfile.read(root / audio["path"])
    mic = result.schedule.window("microphone")
    assert rate == 8000 and len(samples) == round(mic.duration_s * 8000)
    ref = synthetic_audio(run).samples[: len(samples)]
    assert np.max(np.abs(samples - ref)) < 2**-22  # 24-bit FLAC: lossless to the last bit
    stats = result.report["products"]
    assert stats["video"]["compression_ratio"] > stats["thumbnail"]["compression_ratio"] > 1


def _png_row_filters(png: bytes, width: int) -> list[int]:
    """The filter type byte of each row of an 8-bit one-channel, non-interlaced PNG (ISO/IEC 15948 §9.2)."""
    import struct
    import zlib

    pos, idat = 8, b""
    while pos < len(png):
        (length,), kind = struct.unpack(">I", png[pos:pos + 4]), png[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += png[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    return list(raw[::width + 1])


def test_the_lossless_png_row_filter_changes_the_bytes_not_the_pixels():
    import cv2

    from edlcam.onboard.products import png_bytes

    mosaic = mosaic_rggb(synthetic_image("rdc", 3, 64, 80, mono=False))
    w = mosaic.shape[1]
    made = {f: png_bytes(mosaic, 2, f) for f in ("adaptive", "none", "sub", "up", "average", "paeth")}
    for f, data in made.items():
        assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED).tobytes() == mosaic.tobytes(), f
    assert {f: set(_png_row_filters(made[f], w)) for f in ("none", "sub", "up", "average", "paeth")} == {
        "none": {0}, "sub": {1}, "up": {2}, "average": {3}, "paeth": {4}}
    assert made["adaptive"] == png_bytes(mosaic, 2)  # the default: libpng's choice per row, as before


def test_decode_of_every_stored_format_matches_the_image():
    y, x = np.mgrid[0:32, 0:48]
    rgb = np.stack([x * 4, y * 5, (x + y) * 2], axis=-1).astype(np.uint8)  # smooth ramps, no wrap-around
    for encoding, fmt in (("raw", FORMAT_RAW), ("png", FORMAT_PNG)):
        f, ch, payload = encode_image(rgb, colour="bayer", encoding=encoding)
        from edlcam.onboard.store import Record

        assert f == fmt
        assert np.array_equal(decode_image(Record("ruc", 0, 0.0, f, payload, ch, 48, 32)), rgb)
    mosaic = mosaic_rggb(rgb)
    f, ch, payload = encode_image(mosaic, colour="bayer", encoding="png")
    assert f == FORMAT_BAYER_PNG
    raw = Record("ruc", 0, 0.0, FORMAT_BAYER_RGGB8, mosaic.tobytes(), 1, 48, 32)
    assert np.array_equal(decode_image(Record("ruc", 0, 0.0, f, payload, 1, 48, 32)), decode_image(raw))
    # bilinear demosaicing recovers linear ramps to within a count away from the border
    assert np.abs(decode_image(raw)[2:-2, 2:-2].astype(int) - rgb[2:-2, 2:-2]).max() <= 1


def test_a_full_rover_store_drops_low_priorities_and_reports_it(tmp_path):
    from onboard_fixtures import write_events

    write_events(tmp_path)
    m = small_mission(rover_capacity_bytes=4_000_000, admit_fraction=[1.0, 0.9, 0.05])
    film(tmp_path, mission=m, frame_source=SyntheticCameras(m), audio_source=synthetic_audio, make_products=False)
    report = json.loads((tmp_path / "onboard" / "report.json").read_text())
    dropped = report["units"]["rover"]["dropped"]
    assert "lcam" in dropped and "rdc" not in dropped and "microphone" not in dropped
    assert dropped["lcam"]["records"] == report["units"]["rover"]["dropped"]["lcam"]["frames"][0][1] + 1
    assert "lcam" not in report["units"]["rover"]["sources"]  # admitted only below 5 % of capacity


def test_the_sound_renders_while_the_descent_stage_records(tmp_path):
    """The microphone records on the rover, after the descent stage: its sound (seconds of one core in
    the demo) is rendered on its own thread while the descent stage's cameras record, not before them."""
    import threading

    from onboard_fixtures import write_events

    write_events(tmp_path)
    m = small_mission()
    cams = SyntheticCameras(m)
    descent = {name for name, c in m.onboard.capture.items() if c.unit == "descent_stage"}
    recording = threading.Event()

    def frames(run_dir, camera, **kw):
        for frame in cams(run_dir, camera, **kw):
            if camera in descent:
                recording.set()
            yield frame

    heard = []

    def sound(run_dir, **kw):
        heard.append(recording.wait(timeout=5.0))  # in line before the cameras, this would wait in vain
        return synthetic_audio(run_dir, **kw)

    film(tmp_path, mission=m, frame_source=frames, audio_source=sound, make_products=False)
    assert heard == [True]
    rover = [r for r in iter_records(store_dir(tmp_path, "rover")) if r.source == "microphone"]
    assert rover and rover[0].payload  # and the sound was recorded all the same


def test_a_sound_at_another_rate_is_refused(tmp_path):
    from onboard_fixtures import write_events

    from edlcam.errors import RenderError

    write_events(tmp_path)
    m = small_mission()

    def sound(run_dir, **kw):
        return synthetic_audio(run_dir, sample_rate_hz=4000)

    with pytest.raises(RenderError, match=r"the audio source gave 4000 Hz, but the microphone records at 8000 Hz"):
        film(tmp_path, mission=m, frame_source=SyntheticCameras(m), audio_source=sound, make_products=False)
    assert not (tmp_path / "onboard").exists()  # nothing was committed



def test_two_sources_make_their_products_at_once_with_the_same_manifest(tmp_path, monkeypatch):
    """One source's frames are decoded, scaled and encoded in order: two sources at a time keep both
    cores busy, and the manifest (sorted) is the one made a source at a time."""
    import time

    import edlcam.onboard.products as products
    from onboard_fixtures import write_events

    from edlcam import runfolder
    from edlcam.onboard.schedule import build_schedule

    write_events(tmp_path)
    m = small_mission()
    film(tmp_path, mission=m, frame_source=SyntheticCameras(m), audio_source=synthetic_audio, make_products=False)
    schedule = build_schedule(m, runfolder.read_events(tmp_path).times(), quality="full")
    rates = {w.source: w.capture for w in schedule.windows}
    decode = products.decode_image
    seen, overlapped = set(), []

    def decode_image(record):
        seen.add(record.source)
        if not overlapped:  # the first frame: wait (≤ 5 s) for another source's first frame
            deadline = time.monotonic() + 5.0
            while len(seen) < 2 and time.monotonic() < deadline:
                time.sleep(0.005)
            overlapped.append(len(seen) >= 2)
        return decode(record)

    monkeypatch.setattr(products, "decode_image", decode_image)
    products.make_products(tmp_path, m, rates=rates, quality="full")
    assert overlapped[0] is True
    made = (tmp_path / runfolder.MANIFEST).read_bytes()
    # the same store, one source at a time (the sources' thread pool of one), into another folder
    monkeypatch.setattr(products, "decode_image", decode)
    other = tmp_path / "again"
    (other / runfolder.ONBOARD_DIR).mkdir(parents=True)
    (other / runfolder.ONBOARD_DIR / "store").symlink_to(tmp_path / runfolder.ONBOARD_DIR / "store")
    monkeypatch.setattr(products, "SOURCES_AT_ONCE", 1)
    products.make_products(tmp_path, m, rates=rates, quality="full", root=other)
    assert (other / runfolder.MANIFEST).read_bytes() == made
