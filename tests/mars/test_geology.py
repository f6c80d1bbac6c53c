"""Geologic units around the landing point: each at its published place, each with its own look."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edlcam.errors import MissionError
from edlcam.mars.geology import BACKGROUND_UNIT, load_unit_map, unit_raster
from edlcam.mars.terrain import Terrain, _latlon_to_en
from edlcam.mission import load_mission

LANDED_LAT_DEG, LANDED_LON_DEG = 18.4447, 77.4508  # NASA / PDS (REFERENCE.md), the mission's target


@pytest.fixture(scope="module")
def terrain() -> Terrain:
    return Terrain.from_mission(load_mission())


def _en(terrain, lat, lon):
    e, n = _latlon_to_en(np.atleast_1d(lat), np.atleast_1d(lon), LANDED_LAT_DEG, LANDED_LON_DEG, terrain.ellipsoid)
    return e, n


def _albedo(terrain, east_m, north_m) -> float:
    """Mean albedo (mean of the channels) of the 300 m square centred on a point."""
    e, n = float(np.squeeze(east_m)), float(np.squeeze(north_m))
    _, _, _, rgb = terrain.heightmap(center_east_m=e, center_north_m=n, size_m=300.0, samples=61)
    return float(rgb.mean())


def _unit_at(terrain, lat, lon) -> str:
    w = terrain._units.sample(*_en(terrain, lat, lon))
    return terrain._units.names[int(np.argmax(w[:, 0]))]


@pytest.mark.parametrize(
    ("lon", "lat", "unit"),
    [
        # Type localities of Stack et al. (2020), Space Sci. Rev. 216:127, Table 2.
        (77.413, 18.410, "cf_f"),  # Cf-f-1, crater floor fractured 1 (Séítah's bedrock)
        (77.447, 18.560, "cf_f"),  # Cf-f-2, crater floor fractured 2
        (77.421, 18.427, "ripples"),  # Ab-s, aeolian bedforms small (Séítah's ripple fields)
        (77.431, 18.402, "smooth"),  # Us, undifferentiated smooth
        (77.467, 18.340, "cf_fr"),  # Cf-fr, crater floor fractured rough (Máaz)
        (77.379, 18.483, "delta"),  # Ab-l TARs on the delta top
        (77.337, 18.433, "delta"),  # Ab-l TARs on the delta top
        # Perseverance landed on Máaz (Farley et al. 2022, Science 377:eabo2196).
        (LANDED_LON_DEG, LANDED_LAT_DEG, "cf_fr"),
    ],
)
def test_each_unit_lies_at_its_published_type_locality(terrain, lon, lat, unit):
    assert _unit_at(terrain, lat, lon) == unit


def test_delta_front_lies_about_two_km_west_of_the_landing_point(terrain):
    # NASA/JPL: the delta front rises ≈ 2 km west of Octavia E. Butler Landing (Mastcam-Z, sol 24:
    # "more than 2 km away"); the map's outlines are est. to ±300–500 m, so 1.8–3.2 km.
    east = -np.arange(0.0, 5000.0, 10.0)
    w = terrain._units.sample(east, np.zeros_like(east))
    first = east[np.argmax(w[terrain._units.index("delta")] > 0.5)]
    assert 1800.0 <= -first <= 3200.0


def test_units_have_their_own_albedo(terrain):
    # Tone classes of Stack et al. (2020), Table 2: the delta and Cf-f are light-toned, Ab-s
    # (ripples) dark-toned, against the floor the landing point sits on (ratios est. in the
    # mission file: 1.6×, 1.35×, 0.7×). Mean albedo over 300 m squares, mottling included: ±10 %.
    floor = _albedo(terrain, -800.0, 1500.0)  # Máaz, 1.5 km north of Séítah, east of the delta front
    delta = _albedo(terrain, -5000.0, 2500.0)
    seitah = _albedo(terrain, *_en(terrain, 18.410, 77.413))
    ripples = _albedo(terrain, *_en(terrain, 18.427, 77.421))
    assert delta / floor == pytest.approx(1.6, rel=0.1)
    assert seitah / floor == pytest.approx(1.35, rel=0.1)
    assert ripples / floor == pytest.approx(0.7, rel=0.1)


def test_unit_weights_sum_to_one_and_fade_to_the_floor_at_the_grid_edge(terrain):
    u = terrain._units
    assert np.allclose(u.weights.sum(axis=0), 1.0, atol=1e-5)
    e_lo, e_hi, n_lo, n_hi = u.extent_m
    # Just inside and just outside each edge the weights agree (no step), and outside it is the floor.
    for e, n in ((e_lo, 0.0), (e_hi, 0.0), (-3000.0, n_lo), (-3000.0, n_hi)):
        de = np.sign(e) * 5.0 if n == 0.0 else 0.0
        dn = np.sign(n) * 5.0 if n != 0.0 else 0.0
        inside = u.sample(np.array([e - de]), np.array([n - dn]))[:, 0]
        outside = u.sample(np.array([e + de]), np.array([n + dn]))[:, 0]
        assert np.allclose(inside, outside, atol=0.02)
        assert outside[0] == pytest.approx(1.0)


def test_unit_map_is_deterministic():
    cfg = load_mission().terrain
    a = Terrain.build(cfg, seed=7)._units.weights
    b = Terrain.build(cfg, seed=7)._units.weights
    assert np.array_equal(a, b)


def test_without_a_unit_map_the_floor_is_one_unit():
    cfg = load_mission().terrain.model_copy(update={"unit_map": "none"})
    t = Terrain.build(cfg)
    assert t._units is None
    _, _, _, rgb = t.heightmap(center_east_m=-2000.0, center_north_m=-1500.0, size_m=100.0, samples=11)
    assert np.all(np.isfinite(rgb))


def _write(tmp_path, doc) -> str:
    p = tmp_path / "units.geojson"
    p.write_text(json.dumps(doc) if not isinstance(doc, str) else doc, encoding="utf-8")
    return str(p)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("{not json", "cannot read the unit map"),
        ({"type": "FeatureCollection", "features": []}, "'features' must be a non-empty list"),
        ({"features": [{"properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 1], [0, 0]]]}}]},
         "features[0].properties.unit: expected a unit name"),
        ({"features": [{"properties": {"unit": "delta"}, "geometry": {"type": "Point", "coordinates": [0, 0]}}]},
         "features[0].geometry: expected a GeoJSON Polygon"),
        ({"features": [{"properties": {"unit": "delta"}, "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0]]]}}]},
         "features[0].geometry.coordinates: expected a closed ring"),
    ],
)
def test_a_bad_unit_map_is_one_line_naming_file_and_field(tmp_path, doc, message):
    path = _write(tmp_path, doc)
    with pytest.raises(MissionError) as err:
        load_unit_map(path)
    assert message in str(err.value) and path in str(err.value) and "\n" not in str(err.value)


def test_a_unit_the_mission_does_not_describe_is_refused(terrain):
    polygons = load_unit_map()

    def to_en(lat, lon):
        return _latlon_to_en(lat, lon, LANDED_LAT_DEG, LANDED_LON_DEG, terrain.ellipsoid)

    with pytest.raises(MissionError, match=r"add a \[terrain.units.delta\] table"):
        unit_raster(polygons, to_en, seed=1, unit_names=(BACKGROUND_UNIT, "cf_f", "ripples", "smooth"))


def test_ripple_fields_show_bedforms_at_their_spacing_and_other_units_none(terrain):
    # Séítah's ripple fields carry crests bedform_wavelength_m apart trending bedform_azimuth_deg
    # (mission file, est. 30 m, 45°): along an east–west line the albedo repeats every
    # λ / cos(45°) ≈ 42 m (the crests' sinuosity moves the peak by ≤ 25 %). Máaz has none.
    cfg = terrain.config
    e0, n0 = _en(terrain, 18.427, 77.421)  # Ab-s type locality (Stack et al. 2020, Table 2)
    _, _, _, rgb = terrain.heightmap(center_east_m=float(e0[0]), center_north_m=float(n0[0]), size_m=400.0, samples=401)
    row = rgb[200, :, 0] - rgb[200, :, 0].mean()
    power = np.abs(np.fft.rfft(row)) ** 2
    freq = np.fft.rfftfreq(row.size, d=1.0)
    peak_m = 1.0 / freq[1 + np.argmax(power[1:])]
    expected = cfg.bedform_wavelength_m / np.cos(np.radians(cfg.bedform_azimuth_deg))
    assert peak_m == pytest.approx(expected, rel=0.25)
    e = np.linspace(-600.0, -400.0, 50)
    assert np.all(terrain._bedforms(e, np.full_like(e, 1500.0), terrain._unit_look.sample(e, np.full_like(e, 1500.0))[:, 4], 1.0) == 1.0)
