"""Full-quality rendering on a dask.distributed cluster: a camera's frames as a chain of Dask tasks.

``frames(run, camera, quality="full", workers=K)`` renders here: on a LocalCluster of K worker
processes (one thread each) started on first use, or on the cluster whose scheduler is at
``scheduler="tcp://HOST:PORT"`` (``edlcam film --quality full --scheduler ADDR``). Preview quality
stays on the multiprocessing pool (:mod:`edlcam.cameras.pool`, see there for why).

A frame needs the auto-exposure state left by the frame before it (the AE has memory), so the
frames of a camera go in chunks of ``chunk_frames`` consecutive frames, each chunk ``k`` as two
tasks (the same two steps the pool runs, :meth:`FilmRun.render_chunk` and
:meth:`FilmRun.expose_chunk`):

    render_k                        radiance of the chunk's frames, unblurred — the costly part;
                                    no dependencies, so all chunks in the window render in parallel
    expose_k(render_k, state_k-1)   -> (frames_k, state_k): blur, sensor and AE, in frame order
    state_k = expose_k[1]           the small AE state, split off on expose_k's worker

dask.distributed keeps each result in the memory of the worker that computed it and fetches a
task's inputs worker to worker. Chunk ``k``'s two tasks are placed on worker ``k mod K`` (loose
restrictions), so ``expose_k`` runs where ``render_k``'s radiance already is (16 MB a 1280×1024
frame, float32) and only ``state_k-1`` (a few numbers) moves; the client fetches the finished
uint8 frames. (Left to itself the scheduler sent some exposes to an idle worker, which then
fetched the radiance: 8–13 % of the workers' time.) Expose
tasks have a higher priority than renders, so a worker runs the next link of the AE chain as
soon as the chunk it is rendering is done. The chain fixes the order of the exposes, so the
pixels are byte-identical to one process and to the pool, whatever the number of workers.

Memory is bounded by a window: an iterator has at most ``ahead`` chunks in flight (default
2 × workers + 2: enough to keep every worker rendering while the AE chain waits), radiance is released as soon as its chunk is exposed, and the client holds one
chunk's images at a time.

Each worker process opens the run once (cached by the run's spec) and renders on one thread of its own, which owns
the process's EGL context: an OpenGL context is current on one thread, and a Dask worker may run
tasks on other threads (or several at once, on a cluster started with more threads per worker).
A worker on another machine needs edlcam installed and the run folder at the same path.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import logging
import os
import pickle
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterator

from edlcam.errors import EdlcamError, RunFolderError

__all__ = ["DaskRender", "get_dask", "shutdown_dask", "SCHEDULER_TIMEOUT_S", "FULL_CHUNK_FRAMES"]

log = logging.getLogger(__name__)

SCHEDULER_TIMEOUT_S = 10
# Frames per task pair. A full-quality frame takes 0.2–1 s of CPU, so Dask's few milliseconds
# per task are lost in it; a small chunk keeps the AE chain's wait for a busy worker short (an
# expose waits at most for the render its worker is running).
FULL_CHUNK_FRAMES = 4

_CLIENTS: dict[tuple, "DaskRender"] = {}


# ------------------------------------------------------------------------------------------ worker side

_FILMS: dict[str, object] = {}  # spec digest -> FilmRun, in a worker process
_EGL_THREAD: ThreadPoolExecutor | None = None
_EGL_LOCK = threading.Lock()


def _on_egl_thread(fn, *args):
    """Run ``fn`` on this process's render thread (created once), the one that owns the EGL context."""
    global _EGL_THREAD
    with _EGL_LOCK:
        if _EGL_THREAD is None:
            _EGL_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="edlcam-egl")
    return _EGL_THREAD.submit(fn, *args).result()


def _film(digest: str, spec):
    film = _FILMS.get(digest)
    if film is None:
        try:
            film = spec.open()
        except RunFolderError as exc:
            import socket

            raise RunFolderError(f"on Dask worker {socket.gethostname()}: {exc} (the workers must see the run folder "
                                 "at the same path as the client)") from None
        while len(_FILMS) >= 2:  # a run holds its terrain and renderers
            _FILMS.pop(next(iter(_FILMS)))
        _FILMS[digest] = film
    return film


def _render_task(digest: str, spec, camera: str, quality: str, plan: list) -> list:
    return _on_egl_thread(lambda: _film(digest, spec).render_chunk(camera, quality, plan))


def _expose_task(digest: str, spec, camera: str, quality: str, step: int, rendered: list, state,
                 mosaic: bool = False) -> tuple:
    return _on_egl_thread(lambda: _film(digest, spec).expose_chunk(camera, quality, step, rendered, state, mosaic))


def _open_task(digest: str, spec) -> None:
    _on_egl_thread(lambda: _film(digest, spec)._renderer("full"))


def _state_of(exposed: tuple):
    return exposed[1]


# ------------------------------------------------------------------------------------------ client side


@dataclass
class DaskRender:
    """A Dask client (and the LocalCluster it started, if any) rendering full-quality frames."""

    client: object
    cluster: object | None
    address: str
    chunk_frames: int = FULL_CHUNK_FRAMES
    closed: bool = False

    @property
    def threads(self) -> int:
        """Worker threads in the cluster now (at least 1)."""
        return max(1, sum(self.client.nthreads().values()))

    def iterate(self, spec, camera: str, quality: str, step: int, plan: list, *, chunk_frames: int | None = None,
                ahead: int | None = None, mosaic: bool = False) -> Iterator:
        """Frames of ``plan`` [(index, t_s), ...] in order, at most ``ahead`` chunks in flight."""
        if self.closed:
            raise RuntimeError("this Dask renderer is closed")
        n = int(chunk_frames or self.chunk_frames)
        chunks = [plan[i:i + n] for i in range(0, len(plan), n)]
        ahead = max(2, int(ahead or 2 * self.threads + 2))
        portable = spec.portable()
        digest = hashlib.sha1(pickle.dumps(portable)).hexdigest()
        job = f"{camera}-{quality}-{uuid.uuid4().hex[:12]}"
        submit = self.client.submit
        # Chunk c renders and exposes on worker c mod K (loose restrictions: elsewhere only if that
        # worker is gone), so its radiance never crosses the network; only the AE state moves.
        addresses = sorted(self.client.nthreads()) or [None]
        pending: list = []  # expose futures of the chunks in flight, in order
        rendered = exposed = None
        state = None  # future of the AE state after the last chunk submitted (None before the first)
        submitted = 0
        try:
            for k in range(len(chunks)):
                while submitted < len(chunks) and submitted < k + ahead:
                    c = submitted
                    where = {} if addresses[0] is None else {"workers": [addresses[c % len(addresses)]],
                                                             "allow_other_workers": True}
                    rendered = submit(_render_task, digest, portable, camera, quality, chunks[c],
                                      key=f"edlcam-render-{job}-{c}", pure=False, **where)
                    exposed = submit(_expose_task, digest, portable, camera, quality, step, rendered, state, mosaic,
                                     key=f"edlcam-expose-{job}-{c}", pure=False, priority=1, **where)
                    state = submit(_state_of, exposed, key=f"edlcam-state-{job}-{c}", pure=False, priority=1)
                    pending.append(exposed)
                    submitted += 1
                frames, _ = pending.pop(0).result()
                yield from frames
        finally:
            # Closed early (or failed): drop the futures in flight; the scheduler forgets the tasks
            # nobody wants any more (a running one finishes on its worker and is discarded).
            # Not Client.cancel: cancelling several links of one chain trips an assertion in the
            # scheduler (a key already cancelled with its dependents) and costs the connection.
            pending.clear()
            rendered = exposed = state = None

    def open_run(self, spec) -> None:
        """Open the run on every worker now (in parallel) rather than in each worker's first task."""
        portable = spec.portable()
        digest = hashlib.sha1(pickle.dumps(portable)).hexdigest()
        futures = [self.client.submit(_open_task, digest, portable, workers=[addr], allow_other_workers=False,
                                      pure=False, key=f"edlcam-open-{uuid.uuid4().hex[:12]}")
                   for addr in self.client.nthreads()]
        self.client.gather(futures)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()
        for key in [k for k, v in _CLIENTS.items() if v is self]:
            del _CLIENTS[key]


@contextlib.contextmanager
def glibc_malloc_as_is():
    """LocalClusters started inside keep glibc's own malloc tuning in their workers.

    ``distributed`` sets ``MALLOC_TRIM_THRESHOLD_=65536`` in every worker its nannies spawn (its
    ``distributed.nanny.pre-spawn-environ``), and setting any malloc tunable turns off glibc's
    dynamic mmap threshold: every array over 128 KiB is then a fresh mmap whose pages the kernel
    zeroes on first touch and unmaps on free. Measured on one LVS Monte Carlo case (LCAM renders,
    map matching, the hazard map's arrays): 17.2 s of system CPU with it, 1.6 s without, for the
    same 25 s of user CPU. A None value removes the variable; it is set after ``distributed`` is
    imported, whose defaults would otherwise merge back in (dask/distributed#8143).
    """
    import dask
    import distributed  # noqa: F401  (merges its defaults into dask.config)

    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        yield


def _connect(scheduler: str | None, workers: int, raster_threads: int | None = None) -> DaskRender:
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise EdlcamError(
                f"--scheduler {scheduler}: no Dask scheduler answered there within {SCHEDULER_TIMEOUT_S} s "
                f"({type(exc).__name__}); start one (`dask scheduler`, then `dask worker ADDRESS`) and give its "
                "tcp://HOST:PORT, or leave --scheduler out to render on this machine"
            ) from None
        return DaskRender(client, None, scheduler)
    if workers < 1:
        raise ValueError(f"workers is {workers}; a LocalCluster needs at least 1")
    from edlcam.cameras.pool import _main_not_reimported

    # llvmpipe rasterises on LP_NUM_THREADS threads (default: one per core); K workers share the cores.
    threads = raster_threads or max(1, (os.cpu_count() or 1) // workers)
    with _main_not_reimported(), glibc_malloc_as_is():
        # No dashboard; the scheduler's HTTP routes on a free port, not on 8787 (another cluster's).
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               scheduler_kwargs={"dashboard_address": ":0"}, silence_logs=logging.ERROR,
                               env={"LP_NUM_THREADS": str(threads)})
    return DaskRender(Client(cluster, set_as_default=False), cluster, cluster.scheduler_address)


def get_dask(scheduler: str | None = None, workers: int = 2, *, raster_threads: int | None = None) -> DaskRender:
    """This process's Dask renderer: the cluster at ``scheduler``, else a LocalCluster of ``workers``
    single-threaded processes; started on first use and kept for every camera of the run.

    ``raster_threads`` sets each local worker's llvmpipe threads (default: the cores shared out;
    benchmarks/render.py fixes it to measure scaling with a constant share per worker).
    An unreachable scheduler is an :class:`EdlcamError` of one line.
    """
    key = ("scheduler", scheduler) if scheduler else ("local", int(workers))  # the first call's raster_threads holds
    dr = _CLIENTS.get(key)
    if dr is None or dr.closed:
        dr = _CLIENTS[key] = _connect(scheduler, int(workers), raster_threads)
    return dr


def shutdown_dask() -> None:
    """Close every Dask client of this process and the LocalClusters it started."""
    for dr in reversed(list(_CLIENTS.values())):  # the last started first: each restores distributed's log level
        try:
            dr.close()
        except Exception as exc:  # at exit: a cluster already torn down by distributed's own atexit
            log.debug("closing a Dask renderer: %s", exc)


atexit.register(shutdown_dask)
