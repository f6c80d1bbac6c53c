"""The flight kernel's disk cache follows every module it compiles in: edit a callee in another
module, and the next process recompiles the caller and runs the new code (edlcam.flight.kernel.cache)."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import edlcam
from edlcam.flight import kernel
from edlcam.flight.kernel import cache

KERNEL = Path(kernel.__file__).parent
EDLCAM = Path(edlcam.__file__).parent

_CALLER = """
from pathlib import Path

import numba

from edlcam.flight.kernel.cache import kernel_jit
from toy.callee import value

jit = kernel_jit(package=Path(__file__).parent) if {stamped} else numba.njit(cache=True)


@jit
def answer():
    return value() + 1
"""
_CALLEE = """
from pathlib import Path

from edlcam.flight.kernel.cache import kernel_jit


@kernel_jit(package=Path(__file__).parent)
def value():
    return {value}
"""
_RUN = (
    "import json, toy.caller as c; r = c.answer(); s = c.answer.stats; "
    "print(json.dumps([r, sum(s.cache_hits.values()), sum(s.cache_misses.values())]))"
)


def _toy(tmp_path: Path, *, stamped: bool) -> Path:
    """A two-module package ``toy`` whose ``caller.answer`` calls ``callee.value`` (not inlined)."""
    pkg = tmp_path / "toy"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "caller.py").write_text(_CALLER.format(stamped=stamped))
    (pkg / "callee.py").write_text(_CALLEE.format(value=41))
    return pkg


def _answer(tmp_path: Path) -> tuple[int, int, int]:
    """(answer, cache hits, cache misses) of ``toy.caller.answer`` in a fresh interpreter."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
               NUMBA_CACHE_DIR=str(tmp_path / "cache"))  # fmt: skip
    out = subprocess.run([sys.executable, "-c", _RUN], env=env, capture_output=True, text=True, check=True).stdout
    return tuple(json.loads(out.strip().splitlines()[-1]))


@pytest.mark.parametrize("stamped", [True, False], ids=["kernel_jit", "plain_numba"])
def test_editing_a_callee_in_another_module_recompiles_the_cached_caller(tmp_path, stamped):
    pkg = _toy(tmp_path, stamped=stamped)
    assert _answer(tmp_path) == (42, 0, 1)  # compiled and stored
    assert _answer(tmp_path) == (42, 1, 0)  # loaded from the disk cache
    (pkg / "callee.py").write_text(_CALLEE.format(value=99))
    if stamped:
        assert _answer(tmp_path) == (100, 0, 1)  # the edit is seen: compiled afresh with the new callee
        assert _answer(tmp_path) == (100, 1, 0)
    else:
        # What kernel_jit exists for: numba stamps the caller with its own file only, and runs the
        # stale caller (this control shows the test above can tell the two apart).
        assert _answer(tmp_path) == (42, 1, 0)


def test_the_stamp_covers_every_kernel_module_and_what_they_compile_in():
    files = {p.relative_to(EDLCAM).as_posix() for p in cache.kernel_source_files()}
    package = {f"flight/kernel/{p.name}" for p in KERNEL.glob("*.py")}
    assert package <= files
    # Compiled in from outside the package: the terrain's reads, the event rows, g0.
    assert {"mars/terrain_kernel.py", "flight/events.py", "mars/constants.py"} <= files
    # Every edlcam module a kernel module imports is covered (the scan is followed transitively).
    for path in KERNEL.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("edlcam"):
                target = EDLCAM.joinpath(*node.module.split(".")[1:])
                assert (target.with_suffix(".py").relative_to(EDLCAM).as_posix() in files
                        or (target / "__init__.py").relative_to(EDLCAM).as_posix() in files), (path.name, node.module)  # fmt: skip


def test_every_compiled_kernel_function_is_stamped_with_the_kernel_sources():
    # A function decorated with numba's own njit(cache=True) would be stamped with its own file
    # only; every jitted function of the package goes through kernel_jit.
    import numba

    stamp = cache.sources_digest()
    seen = 0
    for path in sorted(KERNEL.glob("*.py")):
        module = sys.modules[f"edlcam.flight.kernel.{path.stem}"] if path.stem != "__init__" else kernel
        for name, obj in vars(module).items():
            if isinstance(obj, numba.core.dispatcher.Dispatcher) and obj.__module__ == module.__name__:
                assert obj._cache._impl.locator.get_source_stamp() == stamp, (path.name, name)
                seen += 1
        if path.name != "cache.py":
            assert "njit(" not in path.read_text(encoding="utf-8"), path.name
    assert seen >= 40


def test_a_kernel_source_edit_changes_the_stamp(tmp_path):
    root = tmp_path / "edlcam"
    shutil.copytree(EDLCAM, root, ignore=shutil.ignore_patterns("__pycache__"))
    before = cache.sources_digest(root / "flight" / "kernel", root)
    terrain = root / "mars" / "terrain_kernel.py"
    terrain.write_text(terrain.read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")
    assert cache.sources_digest(root / "flight" / "kernel", root) != before


@pytest.mark.slow
def test_the_real_kernel_recompiles_after_a_callee_edit(tmp_path):
    # The whole kernel, copied: fly, edit the constant-velocity law (powered.py, called from the
    # powered phase in phases.py, compiled into lanes.py's entry point), fly again.
    src = tmp_path / "src"
    shutil.copytree(EDLCAM, src / "edlcam", ignore=shutil.ignore_patterns("__pycache__"))
    run = textwrap.dedent("""
        import json
        from edlcam.flight.kernel import lanes
        from edlcam.flight.sequencer import fly
        from edlcam.mission import load_mission
        r = fly(load_mission())
        s = lanes.fly_cases.stats
        print(json.dumps([float(r.events["deceleration_start"]["t_s"][0]), sum(s.cache_hits.values()), sum(s.cache_misses.values())]))
    """)  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(src), NUMBA_CACHE_DIR=str(tmp_path / "cache"))

    def fly():
        out = subprocess.run([sys.executable, "-c", run], env=env, capture_output=True, text=True, check=True).stdout
        return tuple(json.loads(out.strip().splitlines()[-1]))

    t_dec, hits, misses = fly()
    assert (hits, misses) == (0, 1)
    assert fly() == (t_dec, 1, 0)
    powered = src / "edlcam" / "flight" / "kernel" / "powered.py"
    text = powered.read_text(encoding="utf-8")
    assert text.count("1.5 * (-P.cv_speed - v[2])") == 1
    powered.write_text(text.replace("1.5 * (-P.cv_speed - v[2])", "1.5 * (-2.0 * P.cv_speed - v[2])"), encoding="utf-8")
    t_dec2, hits, misses = fly()
    assert (hits, misses) == (0, 1)
    assert t_dec2 < t_dec - 1.0  # descending twice as fast, it reaches the deceleration height sooner
