"""Render-ahead workers for previews: a camera's frames rendered in K processes, each with its own EGL context.

Which backend renders (:func:`edlcam.cameras.frames.render_backend`): previews with ``workers=K``
come here; full quality goes to dask.distributed (:mod:`edlcam.cameras.dask_render`), on a
LocalCluster or on a cluster given by ``--scheduler``. Both run the same two steps per chunk and
give the same bytes; ``backend="pool"`` / ``"dask"`` forces one.

``frames(run, camera, workers=K)`` hands chunks of consecutive frames to a pool of K spawned
processes and yields the frames in order. A frame needs the auto-exposure state left by the frame
before it (the AE has memory), so each chunk goes through two steps on the worker that holds it:

1. ``render``: the radiance of every frame of the chunk, unblurred — the costly part, done ahead
   and in parallel on all workers;
2. ``expose``: sent once the previous chunk's final AE state is known; the worker runs the frames
   through the sensor in order (re-rendering sub-frames where motion blur asks for them) exactly
   as :meth:`FilmRun.frames` does in one process, and returns the images and the state after
   the chunk.

So the pixels do not depend on K, the chunking or the timing: byte-identical whatever K is.
Workers prefer ``expose`` steps, which keeps the chain of AE states moving while the other
workers render ahead. One pool serves every camera of a run in the process (the onboard ``film``
interleaves seven ``frames`` iterators); it is started on first use and stopped at exit.

Why previews stay here rather than on Dask: dask.distributed could run the same chain (results
stay in worker memory, a task goes to the worker holding most of its input bytes; that is how
full quality runs), but a preview frame costs 20–100 ms of CPU against 0.2–1 s at full quality.
A Dask task cannot be interrupted, so an expose step waits for the render its worker is running;
this pool renders one frame at a time and looks at its queue in between, so an expose waits at
most one preview frame, and it routes the three PUCs' chunks of the same instants to one worker
so that it builds the parachute mesh once for them. The preview schedule is tuned and measured on
it (1.54× real time on two cores, benchmarks/RESULTS.md). It runs on one machine only; full
quality, which needs more cores than one machine has, scales out over Dask workers.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import pickle
import queue
import sys
import traceback
import types
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

__all__ = ["RenderPool", "FilmSpec", "get_pool", "shutdown_pools"]

log = logging.getLogger(__name__)

_POOLS: dict[tuple, "RenderPool"] = {}


@dataclass(frozen=True)
class FilmSpec:
    """What a worker needs to open the same run: the folder and the seams (picklable; None = the default).

    ``opener`` is the class that opens it (:class:`edlcam.cameras.frames.FilmRun`, pickled by
    reference), given by the caller so that this module does not import the frames module that
    imports it.
    """

    run_dir: str
    opener: type
    terrain: object = None
    models: object = None  # a module is sent by name
    sun_enu: object = None
    mission: object = None

    def portable(self) -> "FilmSpec":
        models = self.models
        if isinstance(models, types.ModuleType):
            models = ("module", models.__name__)
        return FilmSpec(self.run_dir, self.opener, self.terrain, models, self.sun_enu, self.mission)

    def open(self):
        models = self.models
        if isinstance(models, tuple) and models[:1] == ("module",):
            import importlib

            models = importlib.import_module(models[1])
        return self.opener(self.run_dir, terrain=self.terrain, models=models, sun_enu=self.sun_enu,
                           mission=self.mission)


# ------------------------------------------------------------------------------------------ worker


def _worker_main(spec_bytes: bytes, worker_id: int, threads: int, tasks, results) -> None:
    """A worker process: open the run, then serve render / expose / drop messages until None."""
    if threads > 0:
        # llvmpipe rasterises on LP_NUM_THREADS threads (default: one per core); K workers share the cores.
        os.environ["LP_NUM_THREADS"] = str(threads)
        # OpenCV's own pool (the sensor's blur and demosaic) likewise: on a 640×512 frame two
        # threads per worker spent ≈ 2 ms more CPU than one (handing rows over), for the same pixels.
        import cv2

        cv2.setNumThreads(threads)
    try:
        film = pickle.loads(spec_bytes).open()
    except BaseException as exc:  # report and leave: the parent raises it
        results.put(("fatal", worker_id, _portable_exc(exc)))
        return
    rendered: dict[tuple, list] = {}  # chunk -> its frames' radiance, complete
    renders: dict[tuple, list] = {}  # chunk -> [camera, quality, plan, radiance so far], in arrival order
    exposes: dict[tuple, tuple] = {}

    def take(msg) -> None:
        if msg[0] == "render":
            renders[msg[1]] = [msg[2], msg[3], msg[4], []]
        elif msg[0] == "expose":
            exposes[msg[1]] = msg
        else:  # ("drop", job): the iterator was closed
            for store in (rendered, renders, exposes):
                for k in [k for k in store if k[0] == msg[1]]:
                    del store[k]

    parent = os.getppid()
    while True:
        if not renders and not any(k in rendered for k in exposes):
            try:
                msg = tasks.get(timeout=2.0)
            except queue.Empty:
                if os.getppid() != parent:
                    return  # the parent died without stopping us
                continue
            if msg is None:
                return
            take(msg)
        elif os.getppid() != parent:
            return
        while True:  # everything waiting, before choosing what to do next
            try:
                msg = tasks.get_nowait()
            except queue.Empty:
                break
            if msg is None:
                return
            take(msg)
        ready = sorted(k for k in exposes if k in rendered)
        key = None
        try:
            if ready:
                key = ready[0]
                _, _, camera, quality, step, state, mosaic = exposes.pop(key)
                frames, state = film.expose_chunk(camera, quality, step, rendered.pop(key), state, mosaic)
                results.put(("done", key, frames, state))
            elif renders:
                # One frame at a time, then look at the queue again: an expose step (the next link
                # of a camera's AE chain) waits at most one frame's render, not a whole chunk's.
                # A chunk whose expose step has arrived goes first.
                waiting = [k for k in renders if k in exposes]
                key = waiting[0] if waiting else next(iter(renders))
                camera, quality, plan, done = renders[key]
                done.extend(film.render_chunk(camera, quality, plan[len(done):len(done) + 1]))
                if len(done) == len(plan):
                    rendered[key] = renders.pop(key)[3]
        except BaseException as exc:
            renders.pop(key, None)
            exposes.pop(key, None)
            results.put(("error", key, _portable_exc(exc)))


def _portable_exc(exc: BaseException) -> BaseException:
    try:
        pickle.dumps(exc)
        return exc
    except Exception:
        return RuntimeError("".join(traceback.format_exception(exc)))


# ------------------------------------------------------------------------------------------ parent


@dataclass
class _Job:
    camera: str
    quality: str
    step: int
    chunks: list  # [(index, t_s), ...] per chunk
    mosaic: bool = False  # a colour camera's frames as its RGGB mosaic (FilmRun.expose_chunk)
    submitted: int = 0
    yielded: int = 0
    worker_of: dict = field(default_factory=dict)
    done: dict = field(default_factory=dict)
    states: dict = field(default_factory=dict)  # chunk -> AE state after it
    exposed: set = field(default_factory=set)


class RenderPool:
    """K spawned render processes shared by every ``frames`` iterator of one run in this process."""

    def __init__(self, spec: FilmSpec, workers: int, *, chunk_frames: int = 8):
        import multiprocessing as mp

        if workers < 1:
            raise ValueError(f"workers is {workers}; a pool needs at least 1")
        ctx = mp.get_context("spawn")  # fork would copy a parent's EGL and llvmpipe threads
        self.workers = workers
        self.chunk_frames = chunk_frames
        self.results = ctx.Queue()
        self.tasks = [ctx.Queue() for _ in range(workers)]
        threads = max(1, (os.cpu_count() or 1) // workers)
        blob = pickle.dumps(spec.portable())
        self.procs = [ctx.Process(target=_worker_main, args=(blob, i, threads, self.tasks[i], self.results), daemon=True,
                                  name=f"edlcam-render-{i}") for i in range(workers)]
        with _main_not_reimported():
            for p in self.procs:
                p.start()
        self.load = [0] * workers  # chunks handed out and not yet returned
        self.owner: dict[tuple, int] = {}  # (job, chunk) -> worker, until it returns
        self.affinity: dict[tuple, int] = {}  # (quality, first t_s of a chunk) -> worker that got it
        self.jobs: dict[int, _Job] = {}
        self._next_job = 0
        self.closed = False

    # -------------------------------------------------------------------------------- protocol

    def _send(self, worker: int, msg) -> None:
        self.tasks[worker].put(msg)

    def _submit(self, jid: int, job: _Job) -> None:
        c = job.submitted
        worker = min(range(self.workers), key=lambda w: (self.load[w], w))
        # Cameras filming the same instants (the three PUCs) go to one worker when the load allows:
        # it builds the parachute's mesh once for all of them (SceneBuilder keeps the last shapes).
        when = (job.quality, job.chunks[c][0][1])
        pref = self.affinity.get(when)
        if pref is not None and self.load[pref] <= self.load[worker] + 1:
            worker = pref
        self.affinity[when] = worker
        while len(self.affinity) > 256:
            self.affinity.pop(next(iter(self.affinity)))
        job.worker_of[c] = worker
        self.owner[(jid, c)] = worker
        self.load[worker] += 1
        self._send(worker, ("render", (jid, c), job.camera, job.quality, job.chunks[c]))
        job.submitted += 1
        self._maybe_expose(jid, job, c)

    def _maybe_expose(self, jid: int, job: _Job, c: int) -> None:
        if c in job.exposed or c >= job.submitted:
            return
        if c == 0:
            state = None
        elif c - 1 in job.states:
            state = job.states[c - 1]
        else:
            return
        job.exposed.add(c)
        self._send(job.worker_of[c], ("expose", (jid, c), job.camera, job.quality, job.step, state, job.mosaic))

    def _pump(self) -> None:
        """Wait for one message from the workers and act on it."""
        while True:
            try:
                msg = self.results.get(timeout=5.0)
                break
            except queue.Empty:
                dead = [p.name for p in self.procs if not p.is_alive()]
                if dead:
                    self.close()
                    from edlcam.errors import RenderError

                    raise RenderError(f"render worker(s) {', '.join(dead)} died; re-run with [cameras] workers = 0 "
                                      "to render in one process and see the error") from None
        kind = msg[0]
        if kind == "fatal":
            self.close()
            raise msg[2]
        (jid, c) = msg[1]
        job = self.jobs.get(jid)
        worker = self.owner.pop((jid, c), None)
        if worker is not None:
            self.load[worker] -= 1
        if kind == "error":
            self.cancel(jid)
            raise msg[2]
        if job is None:
            return  # a cancelled iterator's late chunk
        _, _, frames, state = msg
        job.done[c] = frames
        job.states[c] = state
        job.states.pop(c - 2, None)
        self._maybe_expose(jid, job, c + 1)

    def iterate(self, camera: str, quality: str, step: int, plan: list, *, ahead: int | None = None,
                mosaic: bool = False) -> Iterator:
        """Frames of ``plan`` [(index, t_s), ...] in order, rendered ``ahead`` chunks in advance."""
        if self.closed:
            raise RuntimeError("this render pool is closed")
        n = self.chunk_frames
        job = _Job(camera, quality, step, [plan[i:i + n] for i in range(0, len(plan), n)], mosaic)
        jid = self._next_job
        self._next_job += 1
        self.jobs[jid] = job
        ahead = ahead or 2 * self.workers
        try:
            while job.yielded < len(job.chunks):
                while job.submitted < len(job.chunks) and job.submitted < job.yielded + ahead:
                    self._submit(jid, job)
                while job.yielded not in job.done:
                    self._pump()
                yield from job.done.pop(job.yielded)
                job.yielded += 1
        finally:
            self.cancel(jid)

    def cancel(self, jid: int) -> None:
        """Forget a job; the workers drop what they hold of it."""
        job = self.jobs.pop(jid, None)
        if job is None or self.closed:
            return
        pending = [k for k in self.owner if k[0] == jid]
        for k in pending:
            self.load[self.owner.pop(k)] -= 1
        if pending:
            for w in set(job.worker_of.values()):
                self._send(w, ("drop", jid))

    def close(self) -> None:
        """Stop the workers."""
        if self.closed:
            return
        self.closed = True
        for q in self.tasks:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        for p in self.procs:
            p.join(timeout=5.0)
            if p.is_alive():
                p.terminate()
        for key in [k for k, v in _POOLS.items() if v is self]:
            del _POOLS[key]


@contextmanager
def _main_not_reimported():
    """Start spawned workers without re-running the caller's script in them.

    A spawned child imports the parent's ``__main__`` by path unless it has none; our workers
    need only edlcam, and a script without an ``if __name__ == "__main__"`` guard would start its
    whole work again in each worker.
    """
    main = sys.modules.get("__main__")
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if main is not None and k in main.__dict__}
    try:
        if main is not None:
            main.__dict__.pop("__file__", None)
            main.__dict__["__spec__"] = None
        yield
    finally:
        if main is not None:
            main.__dict__.update(saved)
            if "__spec__" not in saved:
                main.__dict__.pop("__spec__", None)


def get_pool(spec: FilmSpec, workers: int) -> RenderPool:
    """The process's pool for this run and worker count (started on first use)."""
    digest = hashlib.sha1(pickle.dumps(spec.portable())).hexdigest()
    key = (digest, workers)
    pool = _POOLS.get(key)
    if pool is None or pool.closed:
        pool = _POOLS[key] = RenderPool(spec, workers)
    return pool


def shutdown_pools() -> None:
    """Stop every render pool of this process."""
    for pool in list(_POOLS.values()):
        pool.close()


atexit.register(shutdown_pools)
