"""Write the geologic unit map shipped in src/edlcam/data/jezero/units.geojson.

Run by hand when an outline changes (nothing runs it at run time):

    .venv/bin/python tools/jezero_units.py src/edlcam/data/jezero/units.geojson

The outlines are drawn here in kilometres east and north of Octavia E. Butler Landing (18.4447° N,
77.4508° E, NASA/PDS), the form in which the published places are quoted, and written as longitude
/ latitude on the Mars 2000 sphere (R = 3 396.19 km; equirectangular about the landed point, which
over ±12 km differs from the tangent plane by < 10 m). They are est. to ±300–500 m: drawn round
the type localities that Stack et al. (2020), "Photogeologic map of the Perseverance rover field
site in Jezero crater constructed by the Mars 2020 Science Team", Space Sci. Rev. 216:127, Table 2
lists for each unit, and the features' published places — the delta front ≈ 2 km west of the
landing point (NASA/JPL), Kodiak ≈ 2.2 km south-west (Mangold et al. 2021, Science 374:711), Séítah
south-west of the landing point and Máaz under it (Farley et al. 2022, Science 377:eabo2196) — not
digitised from the map sheets. Later polygons overlie earlier ones (ripples inside Séítah).
"""

from __future__ import annotations

import json
import math
import sys

R_KM = 3396.19  # Mars 2000 sphere (IAU 2000)
LAT0_DEG, LON0_DEG = 18.4447, 77.4508  # Octavia E. Butler Landing (NASA/PDS)

DESCRIPTION = (
    "Geologic units of western Jezero crater around Octavia E. Butler Landing (18.4447 N, 77.4508 E). "
    "Outlines est. (±300–500 m), drawn round the type localities that Stack et al. 2020 (Space Sci. Rev. "
    "216:127, Table 2) lists and the features' published places (delta front ≈ 2 km west of the landing "
    "point, NASA/JPL; Kodiak ≈ 2.2 km south-west, Mangold et al. 2021, Science 374:711; Séítah south-west "
    "of it, Farley et al. 2022, Science 377:eabo2196), not digitised from the map sheets; made by "
    "tools/jezero_units.py. Unmapped crater floor is Cf-fr (Máaz). Longitude east, planetocentric "
    "latitude, Mars 2000 sphere."
)

# (unit, name, source, outline as (km east, km north) of the landed point)
UNITS = [
    ("delta", "Western delta (fan) deposits",
     "Stack et al. 2020 Table 2 delta units (light-toned layered, truncated curvilinear and blocky strata); "
     "its TARs (Ab-l) at 77.379/18.483 and 77.337/18.433 lie on the delta top",
     [(-3.0, -1.6), (-2.75, -1.25), (-2.85, -0.85), (-2.6, -0.45), (-2.75, -0.05), (-2.45, 0.3), (-2.6, 0.75),
      (-2.25, 1.1), (-2.35, 1.6), (-1.95, 1.95), (-2.0, 2.45), (-1.55, 2.75), (-1.45, 3.15), (-1.15, 3.5),
      (-1.3, 4.0), (-1.0, 4.4), (-1.4, 4.9), (-2.2, 5.1), (-3.0, 5.5), (-4.0, 5.4), (-5.0, 5.8), (-6.0, 6.0),
      (-7.0, 6.4), (-8.0, 6.2), (-9.5, 6.6), (-11.0, 5.5), (-11.5, 3.5), (-11.3, 1.5), (-10.5, 0.0),
      (-9.3, -1.0), (-7.8, -1.2), (-6.8, -1.4), (-5.6, -1.3), (-4.6, -1.9), (-3.7, -1.8)]),
    ("delta", "Kodiak, an isolated butte of delta strata",
     "Mangold et al. 2021 (Science 374:711): Kodiak, a delta remnant ≈ 2.2 km south-west of the landing point",
     [(-1.95, -0.55), (-2.05, -0.45), (-2.25, -0.5), (-2.35, -0.75), (-2.25, -1.0), (-2.05, -1.0), (-1.9, -0.8)]),
    ("cf_f", "Séítah: light-toned fractured floor bedrock (Cf-f-1)",
     "Stack et al. 2020 Table 2: Cf-f-1 type locality 77.413/18.410; Farley et al. 2022 Fig. 1",
     [(-0.45, -0.65), (-0.9, -0.4), (-1.4, -0.35), (-1.8, -0.5), (-1.9, -0.85), (-2.3, -1.2), (-2.6, -1.7),
      (-2.55, -2.3), (-2.1, -2.7), (-1.6, -2.45), (-1.2, -2.0), (-0.8, -1.7), (-0.55, -1.2)]),
    ("cf_f", "Light-toned fractured floor north of the delta's northern lobe (Cf-f-2)",
     "Stack et al. 2020 Table 2: Cf-f-2 type locality 77.447/18.560",
     [(-0.9, 5.4), (0.4, 5.2), (1.6, 5.9), (2.0, 7.0), (0.8, 7.8), (-0.6, 7.6), (-1.2, 6.5)]),
    ("ripples", "Séítah's dark ripple and dune fields (Ab-s)",
     "Stack et al. 2020 Table 2: Ab-s type locality 77.421/18.427",
     [(-1.0, -0.7), (-1.5, -0.6), (-1.85, -1.0), (-2.2, -1.5), (-2.1, -2.1), (-1.7, -2.0), (-1.4, -1.5),
      (-1.05, -1.2)]),
    ("smooth", "Undifferentiated smooth dark-toned mantle (Us)",
     "Stack et al. 2020 Table 2: Us type locality 77.431/18.402",
     [(-0.5, -2.1), (-1.0, -2.15), (-1.55, -2.6), (-1.6, -3.2), (-0.9, -3.5), (-0.2, -3.1), (-0.2, -2.5)]),
]


def lonlat(east_km: float, north_km: float) -> list[float]:
    """[lon, lat] [deg] of a point east_km, north_km of the landed point (equirectangular about it)."""
    lat = LAT0_DEG + math.degrees(north_km / R_KM)
    lon = LON0_DEG + math.degrees(east_km / (R_KM * math.cos(math.radians(LAT0_DEG))))
    return [round(lon, 4), round(lat, 4)]  # 1e-4° ≈ 6 m


def unit_map() -> dict:
    features = []
    for unit, name, source, outline in UNITS:
        ring = [lonlat(e, n) for e, n in outline]
        features.append({"type": "Feature", "properties": {"unit": unit, "name": name, "source": source},
                         "geometry": {"type": "Polygon", "coordinates": [ring + [ring[0]]]}})
    return {"type": "FeatureCollection", "name": "jezero_units", "description": DESCRIPTION, "features": features}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: jezero_units.py OUT.geojson", file=sys.stderr)
        return 2
    with open(argv[0], "w", encoding="utf-8") as f:
        json.dump(unit_map(), f, ensure_ascii=False, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
