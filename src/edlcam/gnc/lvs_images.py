"""The LVS images: one rendered, or all of a run's rendered ahead in worker processes.

An LVS image is the LVS camera's frame at the true pose of the flight flown
(:func:`render_image`): it depends on the flight and the seed, never on what the spacecraft
believes, so every image of a run can be rendered before the filter needs the first one.
Rendered one after another in the calling process they were the larger part of the lvs stage, on
one core while the other idled (benchmarks/RESULTS.md, "the demo's single-core stretches
overlapped").

:class:`ImagesAhead` hands contiguous blocks of the images to ``workers`` spawned processes
(consecutive images share the renderer's terrain rings, so a block costs less than the same
images spread over the workers); each opens the same run with the terrain it is sent, renders
its block with the same seeds and returns it. ``images[i]`` waits for image ``i``'s block. The
pixels are those rendered in the calling process (tests/gnc/test_lvs_images.py), so the fixes,
the filter and the divert are the same whatever ``workers`` is.
"""

from __future__ import annotations

import os

import numpy as np

from edlcam.errors import RenderError

__all__ = ["ImagesAhead", "render_image", "image_camera", "LVS_TAG"]

LVS_TAG = 18  # separates the navigation's random stream from the other users of the mission seed

_FILM = None  # the opened run of a worker process


def render_image(film, cam, t_s: float, seed: int, key: tuple) -> np.ndarray:
    """The LCAM frame at ``t_s`` through the full-quality renderer and the sensor (settled exposure)."""
    from edlcam.cameras.camera import sensor_image, settle_exposure

    radiance, _ = film.radiance(cam, t_s, quality="full")
    state = settle_exposure(radiance, cam.config)
    return sensor_image(radiance, state, cam.config, np.random.default_rng([seed, LVS_TAG, 1, *key]))


def image_camera(film, cfg):
    """(the LVS camera, the camera its images are rendered with: ``image_px`` wide where it divides)."""
    cam = film.camera(cfg.camera)
    scale = max(cam.width_px // cfg.image_px, 1)
    return cam, (cam.scaled(scale) if cam.width_px % scale == 0 else cam)


def _open_run(run_dir: str, terrain, mission, threads: int) -> None:
    """A worker's start: its share of the cores for llvmpipe, then the run opened once."""
    global _FILM
    os.environ["LP_NUM_THREADS"] = str(threads)  # read when the worker's GL context is made
    from edlcam.cameras.frames import open_run

    _FILM = open_run(run_dir, terrain=terrain, mission=mission)


def _render_block(cfg, block: list, seed: int, rng_key: tuple) -> list:
    """The images of ``block`` [(index, t_s), ...] in a worker."""
    _cam, rcam = image_camera(_FILM, cfg)
    return [render_image(_FILM, rcam, t_s, seed, (*rng_key, i)) for i, t_s in block]


class ImagesAhead:
    """The LVS images at ``times_s`` of the run in ``run_dir``, rendered in ``workers`` processes.

    ``terrain`` and ``mission`` are those the run is filmed with (the workers open the run with
    them); ``cfg`` the mission's ``[lvs]``; ``seed`` and ``rng_key`` as :func:`edlcam.gnc.loop.navigate`
    uses them (:func:`edlcam.gnc.loop.navigation_times` gives the times). Rendering starts at construction; ``images[i]`` is the i-th image (waits for it).
    Use it as a context manager: leaving it stops the workers.
    """

    def __init__(self, run_dir, *, terrain, mission, cfg, times_s, seed: int, rng_key: tuple = (), workers: int = 2):
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        from edlcam.cameras.pool import _main_not_reimported

        n = len(times_s)
        if workers < 1 or n == 0:
            raise ValueError(f"ImagesAhead needs at least one worker and one image (workers {workers}, images {n})")
        workers = min(workers, n)
        per = -(-n // workers)  # ceil: contiguous blocks, the first ones full
        self._blocks = [list(range(k, min(k + per, n))) for k in range(0, n, per)]
        threads = max(1, (os.cpu_count() or 1) // workers)
        self._pool = ProcessPoolExecutor(max_workers=len(self._blocks), mp_context=mp.get_context("spawn"),
                                         initializer=_open_run, initargs=(str(run_dir), terrain, mission, threads))
        with _main_not_reimported():  # the pool's processes start with the first submissions
            self._futures = [self._pool.submit(_render_block, cfg, [(i, float(times_s[i])) for i in block], seed,
                                               tuple(rng_key)) for block in self._blocks]
        self._of = {i: (b, k) for b, block in enumerate(self._blocks) for k, i in enumerate(block)}

    def __len__(self) -> int:
        return len(self._of)

    def __getitem__(self, i: int) -> np.ndarray:
        from concurrent.futures.process import BrokenProcessPool

        b, k = self._of[i]
        try:
            return self._futures[b].result()[k]
        except BrokenProcessPool:
            self.close()
            raise RenderError("an LVS image render worker died; re-run with [cameras] workers = 0 to render "
                              "the images in one process and see the error") from None

    def close(self) -> None:
        """Stop the workers (what they have not rendered yet is dropped)."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "ImagesAhead":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
