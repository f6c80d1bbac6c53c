"""numba's on-disk cache for a kernel that spans several modules: every compiled function keyed on
the source of all of them.

numba's ``cache=True`` stamps a function's cached machine code with its own source file only
(numba.core.caching: the stamp is a hash of ``inspect.getfile(py_func)``). The flight kernel's
entry points compile in code from every module of this package, from
:mod:`edlcam.mars.terrain_kernel` and the constants of the modules they import (the event rows of
:mod:`edlcam.flight.events`, say): with the plain stamp, editing a callee in another module would
leave the cached caller in place, and the old code would run silently.

:func:`kernel_jit` is ``numba.njit(cache=True)`` whose stamp is instead :func:`sources_digest`: a
SHA-256 over every ``.py`` file of this package and every ``edlcam`` module they import,
followed transitively. Any edit to any of them makes every cached function of the kernel stale,
and numba compiles it afresh on its next call (and stores it again). numba offers no public hook
for the stamp; a locator that overrides ``get_source_stamp`` is how numba's own locators differ
(tests/flight/test_kernel_cache.py edits a callee in another module and checks that the next
process runs the new code).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from pathlib import Path

import numba
from numba.core import caching

__all__ = ["kernel_jit", "sources_digest", "kernel_source_files"]

_EDLCAM = Path(__file__).resolve().parents[2]  # src/edlcam
_PACKAGE = Path(__file__).resolve().parent
# ``from edlcam.a.b import c, d`` (also in parentheses over lines) and ``import edlcam.a.b``.
_IMPORT = re.compile(r"^\s*(?:from\s+(edlcam(?:\.\w+)*)\s+import\s+(\([^)]*\)|[^#\n]+)|import\s+(edlcam(?:\.\w+)*))", re.M)


def _module_file(root: Path, name: str) -> Path | None:
    """The source file of module ``name`` (``edlcam.x.y``) under ``root`` (the edlcam folder)."""
    base = root.joinpath(*name.split(".")[1:])
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def kernel_source_files(package: Path = _PACKAGE, root: Path = _EDLCAM) -> tuple[Path, ...]:
    """Every ``.py`` file of ``package`` and every module under ``root`` they import, followed
    transitively; sorted. ``from edlcam.a import b`` counts ``edlcam.a`` and, if it is a module,
    ``edlcam.a.b``: what a compiled function can take names from (a package's ``__init__`` on the
    way is imported but compiles nothing in)."""
    todo = sorted(package.glob("*.py"))
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for m in _IMPORT.finditer(path.read_text(encoding="utf-8")):
            module = m.group(1) or m.group(3)
            names = [n.split()[0] for n in (m.group(2) or "").strip("()").split(",") if n.strip()]
            for name in [module] + [f"{module}.{n}" for n in names]:
                found = _module_file(root, name)
                if found is not None:
                    todo.append(found)
    return tuple(sorted(seen))


def sources_digest(package: Path = _PACKAGE, root: Path = _EDLCAM) -> str:
    """SHA-256 (hex) over the names and contents of :func:`kernel_source_files`."""
    h = hashlib.sha256()
    for path in kernel_source_files(package, root):
        h.update(os.path.relpath(path, root).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


_stamp = functools.lru_cache(maxsize=None)(sources_digest)  # once a process: the sources it compiles from


@functools.lru_cache(maxsize=None)
def _cache_class(package: Path, root: Path) -> type:
    """numba's FunctionCache, its locators stamped with :func:`sources_digest` of ``package``.
    The locators are numba's own, in its order: a user-chosen NUMBA_CACHE_DIR, else __pycache__
    beside the module, else the user's cache folder."""

    def get_source_stamp(self):
        return _stamp(package, root)

    bases = (caching.UserProvidedCacheLocator, caching.InTreeCacheLocator, caching.UserWideCacheLocator)
    locators = [type(f"Kernel{b.__name__}", (b,), {"get_source_stamp": get_source_stamp}) for b in bases]
    impl = type("KernelCacheImpl", (caching.CompileResultCacheImpl,), {"_locator_classes": locators})
    return type("KernelCache", (caching.FunctionCache,), {"_impl_class": impl})


def kernel_jit(*, package: Path = _PACKAGE, root: Path = _EDLCAM, **options):
    """``numba.njit(**options)`` cached on disk, stamped with :func:`sources_digest` of
    ``package`` (default: this package) rather than with the function's own file."""
    cache = _cache_class(Path(package).resolve(), Path(root).resolve())

    def wrap(fn):
        dispatcher = numba.njit(**options)(fn)
        if isinstance(dispatcher, numba.core.dispatcher.Dispatcher):  # not under NUMBA_DISABLE_JIT
            dispatcher._cache = cache(fn)  # what Dispatcher.enable_caching() does, with this cache
        return dispatcher

    return wrap
