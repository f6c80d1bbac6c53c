"""The Mars 2020 disk-gap-band parachute, with the gore code that spells "DARE MIGHTY THINGS".

Frame (docs/run-folder.md): origin at the canopy's centre, on the plane of its widest section
(the disk's edge when fully inflated); +z from the capsule toward the canopy. The suspension
lines run from the band's lower edge (the skirt) down to the confluence, and a riser continues
to the capsule's attachment at z = −suspension_length_m.

Geometry: 21.5 m nominal diameter D0 (NASA), 80 gores; disk-gap-band proportions of the
Viking/MSL family — disk 0.726 D0 across, gap 0.042 D0, band 0.121 D0 (Cruz et al.,
"Reconstruction of the Mars Science Laboratory Parachute Performance", JSR 51(4) 2014, and the
Viking DGB lineage it cites); inflated projected diameter ≈ 0.69 D0 and dome height ≈ 0.12 D0
(MSL reconstruction, est. for M2020).

The code (NASA/JPL, 2021-02-22; designed by Ian Clark): orange gores are 1, white gores are 0.
Each ring holds 80 bits read clockwise as seen from below (the up-look cameras' view). A
character is three 0s then 7 bits: a letter's place in the alphabet (A = 1) or a number. After
the last character of a word come three 0s, then 1s fill the ring. The three inner rings carry
DARE, MIGHTY and THINGS; MIGHTY begins 40 gores and THINGS 20 gores after the gore where DARE
begins; the band carries 34 11 58 N 118 10 31 W (JPL's coordinates) from that same gore. This is
the layout of the public decodings (e.g. Abela's, reported by the New York Times 2021-02-23;
the NASA/JPL annotated image PIA24431) and of transcriptions of the raw EDL images.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from edlcam.cameras.models.mesh import Mesh, grid_mesh, strut, struts, two_sided

__all__ = [
    "CANOPY_TRANSLUCENCY",
    "PARACHUTE_NOMINAL_DIAMETER_M",
    "PARACHUTE_GORES",
    "PARACHUTE_RING_TEXTS",
    "ORANGE_RGB",
    "WHITE_RGB",
    "encode_ring",
    "parachute_gore_bits",
    "parachute_mesh",
]

PARACHUTE_NOMINAL_DIAMETER_M = 21.5  # NASA (Mars 2020 parachute)
PARACHUTE_GORES = 80  # NASA/JPL 2021-02-22: 80 gores
DISK_DIAMETER_D0 = 0.726  # DGB disk, Viking/MSL family (Cruz et al. 2014)
GAP_HEIGHT_D0 = 0.042  # Cruz et al. 2014
BAND_HEIGHT_D0 = 0.121  # Cruz et al. 2014
VENT_DIAMETER_M = 0.55  # est.: MSL's 0.5 m scaled to 21.5 m
PROJECTED_DIAMETER_D0 = 0.69  # MSL reconstruction (≈ 13.5 m of 19.7 m), est. for M2020
DOME_HEIGHT_D0 = 0.122  # est.: MSL disk crown height ≈ 2.4 m of 19.7 m
BAND_TAPER = 0.94  # est.: skirt radius / band-top radius (the lines pull the skirt in)
PACKED_RADIUS_M = 0.3  # est.: the cloth bundle at line stretch
LINES_FRACTION = 0.75  # est.: lines reach 75 % of the way to the capsule, the riser the rest
GORE_BULGE = 0.012  # est.: cloth bulge between radial tapes, fraction of radius
BAND_FLUTTER_M = 0.12  # est.: band flutter amplitude at full inflation
BAND_FLUTTER_HZ = 1.7  # est.

PARACHUTE_RING_TEXTS = ("DARE", "MIGHTY", "THINGS", "34 11 58 N 118 10 31 W")  # inner → band
_RING_START_GORE = (0, 40, 20, 0)  # gores after the reference where each ring's text begins
ORANGE_RGB = np.array([0.80, 0.10, 0.008])  # linear albedo of "international orange" nylon (est.)
WHITE_RGB = np.array([0.80, 0.80, 0.77])  # linear albedo of neutral white nylon (est.)
# est.: light canopy nylon (≈ 40 g/m²) lets ≈ 0.35 of the sunlight through diffusely, ≈ 0.45 of its
# 0.8 albedo; dyed gores pass their own colour. This is why the sunlit canopy glows white and
# orange against the sky in the real PUC footage (NASA/JPL, 2021-02-22) rather than showing the
# dark, skylit underside an opaque sheet would.
CANOPY_TRANSLUCENCY = 0.45
_LINE_RGB = np.array([0.22, 0.19, 0.15])  # suspension lines, seen dark against the sky (est.)
_TAPE_RGB = np.array([0.6, 0.6, 0.58])
_RISER_RGB = np.array([0.35, 0.30, 0.22])

_SUB = 3  # quads per gore around (the middle ones carry the bulge)
_DISK_ROWS_PER_RING = 6
_BAND_ROWS = 6


def encode_ring(text: str, *, n_bits: int = PARACHUTE_GORES) -> np.ndarray:
    """The bits of one ring before rotation (bool, ``n_bits``): per token "000" + 7 bits, "000", then 1s.

    Tokens are the words' letters (A = 1 … Z = 26) and whole numbers below 128; spaces separate
    numbers. A full ring (8 tokens) has no trailing "000".

    >>> "".join("1" if b else "0" for b in encode_ring("DARE")[:20])
    '00000001000000000001'
    """
    tokens: list[int] = []
    for word in text.split():
        if word.isdigit():
            tokens.append(int(word))
        else:
            tokens.extend(ord(c) - ord("A") + 1 for c in word)
    if any(not 0 <= v < 128 for v in tokens):
        raise ValueError(f"{text!r}: every letter must be A–Z and every number 0–127")
    bits = "".join("000" + format(v, "07b") for v in tokens)
    if len(bits) < n_bits:
        bits += "000"
    if len(bits) > n_bits:
        raise ValueError(f"{text!r} needs {len(bits)} bits; a ring has {n_bits} gores")
    bits += "1" * (n_bits - len(bits))
    return np.array([c == "1" for c in bits])


def parachute_gore_bits() -> np.ndarray:
    """(4, 80) bool: orange (True) or white per ring (inner disk ring first, band last) and gore.

    Gore g spans azimuth [g, g+1)·2π/80 from +x toward +y, i.e. clockwise as seen from below.
    """
    return np.stack(
        [np.roll(encode_ring(text), start) for text, start in zip(PARACHUTE_RING_TEXTS, _RING_START_GORE)]
    )


def _inflated_profile(d0_m: float, rows_per_ring: int = _DISK_ROWS_PER_RING,
                      band_rows: int = _BAND_ROWS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Meridian of the inflated canopy, vent → skirt: (P,2) (r, z) points, and per segment its kind
    and ring (P-1 each).

    Kinds: 0 disk cloth, 1 gap (no cloth), 2 band cloth. Disk rings are equal in meridian length.
    """
    a = 0.5 * PROJECTED_DIAMETER_D0 * d0_m
    h = DOME_HEIGHT_D0 * d0_m
    rho = (a * a + h * h) / (2 * h)  # sphere through the crown and the disk edge
    alpha_edge = np.arcsin(a / rho)
    alpha_vent = np.arcsin(0.5 * VENT_DIAMETER_M / rho)
    n_disk = 3 * rows_per_ring
    alpha = np.linspace(alpha_vent, alpha_edge, n_disk + 1)
    disk = np.stack([rho * np.sin(alpha), rho * np.cos(alpha)], axis=1)
    disk[:, 1] -= disk[-1, 1]  # disk edge on z = 0: the widest section
    gap = GAP_HEIGHT_D0 * d0_m
    band = BAND_HEIGHT_D0 * d0_m
    band_top = np.array([0.99 * a, -gap])
    skirt = np.array([BAND_TAPER * 0.99 * a, -gap - band])
    f = np.linspace(0.0, 1.0, band_rows + 1)[:, None]
    band_pts = band_top + f * (skirt - band_top)
    points = np.vstack([disk, band_pts])
    kind = np.array([0] * n_disk + [1] + [2] * band_rows)
    ring = np.concatenate([np.arange(n_disk) // rows_per_ring, [-1], np.full(band_rows, 3)])
    return points, kind, ring


def parachute_mesh(
    inflation: float,
    *,
    t_s: float = 0.0,
    suspension_length_m: float | None = None,
    nominal_diameter_m: float = PARACHUTE_NOMINAL_DIAMETER_M,
    coarse: bool = False,
) -> Mesh:
    """The canopy (two-sided translucent cloth, coded gores), 80 suspension lines and the riser.

    ``inflation`` [0..1]: 0 is the narrow bundle of cloth at line stretch, 1 fully inflated;
    between, a bullet-shaped canopy with a narrower mouth, keeping its cloth length; its
    projected area is ``inflation`` × the inflated one (values are clipped to [0, 1]; the flight
    stage's breathing arrives through it). ``t_s`` [s] drives a small flutter of the band.
    ``suspension_length_m`` defaults to the mission's [parachute] suspension_length_m. About
    24 000 triangles, ≈ 8 ms. ``coarse`` (previews): half the rows and two quads per gore,
    ≈ 8 000 triangles — the gore code and the silhouette stay, the cloth's bulge is coarser.
    """
    if suspension_length_m is None:
        from edlcam.config.flight import ParachuteConfig

        suspension_length_m = float(ParachuteConfig.model_fields["suspension_length_m"].default)
    if not np.isfinite(inflation):
        raise ValueError(f"inflation is {inflation}; give a number in [0, 1]")
    f = float(np.clip(inflation, 0.0, 1.0))
    sub = 2 if coarse else _SUB
    prof, kind, ring = (_inflated_profile(nominal_diameter_m, _DISK_ROWS_PER_RING // 2, _BAND_ROWS // 2) if coarse
                        else _inflated_profile(nominal_diameter_m))
    ds = np.linalg.norm(np.diff(prof, axis=0), axis=1)
    sigma = np.concatenate([[0.0], np.cumsum(ds)]) / ds.sum()  # 0 at the vent, 1 at the skirt
    # Partly inflated: the inflated meridian scaled radially by b, its mouth held narrower early
    # on (a bullet shape, est. after the ASPIRE and M2020 up-look videos), blended with the
    # packed bundle. b is set so the widest radius is sqrt(inflation) of the inflated one:
    # the projected area, which set the drag in the flight stage, is the inflated fraction.
    mouth = prof[:, 0] * (1.0 - 0.8 * (1.0 - f) ** 2 * sigma**2)
    target_m = prof[:, 0].max() * np.sqrt(f)
    b = float(np.clip((target_m - PACKED_RADIUS_M) / (mouth.max() - PACKED_RADIUS_M), 0.0, 1.0))
    r = (1.0 - b) * PACKED_RADIUS_M + b * mouth
    # Heights: the cloth does not stretch; but near full inflation (b > 0.8, breathing) the
    # crown keeps its height and the cloth goes slack, rather than the dome peaking by a metre.
    b_len = min(1.0, b / 0.8)
    r_len = (1.0 - b_len) * PACKED_RADIUS_M + b_len * mouth
    dz = np.sqrt(np.maximum(ds**2 - np.diff(r_len) ** 2, 0.0))
    z_rel = -np.concatenate([[0.0], np.cumsum(dz)])  # relative to the vent
    # the lines keep their length: place the skirt where they reach from the confluence
    z_conf = -LINES_FRACTION * suspension_length_m
    line_len = np.hypot(prof[-1, 0], prof[-1, 1] - z_conf)
    z_skirt = z_conf + np.sqrt(line_len**2 - r[-1] ** 2)
    z = z_rel - z_rel[-1] + z_skirt

    n_around = PARACHUTE_GORES * sub
    phi = np.linspace(0.0, 2 * np.pi, n_around + 1)
    frac = (np.arange(n_around + 1) % sub) / sub
    bulge = 1.0 + GORE_BULGE * b * np.sin(np.pi * frac)[None, :]
    rr = r[:, None] * bulge
    # band flutter: a travelling ripple growing toward the free skirt edge
    first_band_point = int(np.flatnonzero(kind == 2)[0])
    band_depth = np.zeros(len(prof))
    band_depth[first_band_point:] = np.linspace(0.0, 1.0, len(prof) - first_band_point)
    ripple = np.sin(2 * np.pi * BAND_FLUTTER_HZ * t_s - 5.0 * phi)[None, :] * np.sin(
        2 * np.pi * 0.63 * t_s + 3.0 * phi)[None, :]
    rr = rr + BAND_FLUTTER_M * f * band_depth[:, None] * (0.6 + 0.4 * ripple)
    pts = np.stack([rr * np.cos(phi), rr * np.sin(phi), np.broadcast_to(z[:, None], rr.shape)], axis=-1)
    normals = _grid_normals(pts, r, z)

    bits = parachute_gore_bits()
    gore = np.arange(n_around) // sub
    parts = []
    for rows in (np.flatnonzero(kind == 0), np.flatnonzero(kind == 2)):
        lo, hi = rows[0], rows[-1] + 1  # quad rows lo..hi-1 use point rows lo..hi
        quad_ring = ring[lo:hi]
        colors = np.where(bits[quad_ring][:, gore][..., None], ORANGE_RGB, WHITE_RGB)
        cloth = replace(grid_mesh(pts[lo : hi + 1], normals[lo : hi + 1], colors), translucency=CANOPY_TRANSLUCENCY)
        parts.append(two_sided(cloth, thickness_m=0.01))
    canopy = Mesh.merge(parts)

    gap_row = int(np.flatnonzero(kind == 1)[0])
    bound = np.arange(PARACHUTE_GORES) * sub  # gore boundaries: radial tapes and lines
    confluence = np.array([0.0, 0.0, z_conf])
    rigging = [
        struts(pts[gap_row, bound], pts[gap_row + 1, bound], 0.025, color=_TAPE_RGB, n_sides=3, caps=False),
        struts(pts[-1, bound], np.broadcast_to(confluence, (len(bound), 3)), 0.02, color=_LINE_RGB, n_sides=3,
               caps=False),
        strut(confluence, [0.0, 0.0, -suspension_length_m], 0.04, color=_RISER_RGB, n_sides=6),
    ]
    return Mesh.merge([canopy, *rigging])


def _grid_normals(pts: np.ndarray, r: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Outward unit normals of a closed (P, Q+1) surface grid, by central differences."""
    core = pts[:, :-1]
    d_phi = np.roll(core, -1, axis=1) - np.roll(core, 1, axis=1)
    d_s = np.gradient(core, axis=0)
    n = np.cross(d_phi, d_s)
    # outward: for the vent → skirt meridian (dr, dz) the outside lies along (−dz, dr)
    dr, dzz = np.gradient(r), np.gradient(z)
    phi = np.arctan2(core[..., 1], core[..., 0])
    out = np.stack(
        [-dzz[:, None] * np.cos(phi), -dzz[:, None] * np.sin(phi), np.broadcast_to(dr[:, None], phi.shape)], axis=-1
    )
    n *= np.sign(np.einsum("pqi,pqi->pq", n, out))[..., None]
    n /= np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-30)
    return np.concatenate([n, n[:, :1]], axis=1)
