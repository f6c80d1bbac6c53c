"""The public API: the stage calls exported from ``edlcam``, their one shape, and the import graph.

``__all__`` is pinned here (as httpx pins its exported members) so that adding or removing a
public name is a decision made in review, not an accident.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import edlcam

SRC = Path(edlcam.__file__).parent
STAGE_CALLS = ("simulate", "film", "relay", "assemble", "report", "demo")


def test_all_is_pinned():
    assert edlcam.__all__ == [
        "__version__",
        "simulate",
        "film",
        "relay",
        "assemble",
        "report",
        "demo",
        "Progress",
        "SimulateResult",
        "FilmResult",
        "RelayResult",
        "AssembleResult",
        "ReportResult",
        "DemoResult",
        "EdlcamError",
        "FlightError",
        "LinkError",
        "MissionError",
        "RenderError",
        "RunFolderError",
        "StoreCorruptError",
        "StoreError",
    ]
    for name in edlcam.__all__:
        assert getattr(edlcam, name) is not None, name
    assert set(edlcam.__all__) <= set(dir(edlcam))
    with pytest.raises(AttributeError):
        edlcam.no_such_stage  # noqa: B018


@pytest.mark.parametrize("name", STAGE_CALLS)
def test_every_stage_has_one_shape(name):
    """(run, *, mission=None, progress=None, ...) -> a frozen dataclass with the run in it."""
    fn = getattr(edlcam, name)
    params = list(inspect.signature(fn).parameters.values())
    assert params[0].name == "run" and params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.VAR_KEYWORD) for p in params[1:])
    by_name = {p.name: p for p in params}
    assert by_name["mission"].default is None and by_name["progress"].default is None
    result = inspect.signature(fn).return_annotation
    cls = getattr(edlcam, result)
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
    assert next(iter(dataclasses.fields(cls))).name == "run"


def _modules() -> dict[str, tuple[Path, bool]]:
    mods = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        mods[".".join(parts[:-1] if is_pkg else parts)] = (path, is_pkg)
    return mods


def _import_graph() -> dict[str, set[str]]:
    """Module → the edlcam modules it imports, at module level or inside functions (not under TYPE_CHECKING)."""
    mods = _modules()
    graph = {}
    for name, (path, is_pkg) in mods.items():
        tree = ast.parse(path.read_text())
        skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                and ast.unparse(node.test).endswith("TYPE_CHECKING") for n in ast.walk(node)}
        package = name if is_pkg else name.rpartition(".")[0]
        deps = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                subs = {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in mods}
                deps |= subs
                if len(subs) < len(node.names):  # names defined in the module itself
                    deps.add(base)
        graph[name] = {d for d in deps if d in mods and d != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    """No two modules import each other, directly or round a loop, even through function-level imports."""
    graph = _import_graph()
    assert "edlcam.onboard.products" in graph["edlcam.onboard.film"]  # the graph sees function-level imports
    assert _cycles(graph) == []


def test_the_cycle_check_can_fail():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_package_exports_a_name_of_its_own_submodule():
    """``edlcam.onboard.film`` must not be a function until ``import edlcam.onboard.film`` makes it a module."""
    mods = _modules()
    clashes = []
    for name, (path, is_pkg) in mods.items():
        if not is_pkg:
            continue
        exported = getattr(importlib.import_module(name), "__all__", [])
        clashes += [f"{name}.{x}" for x in exported if f"{name}.{x}" in mods]
    assert clashes == []


def test_import_edlcam_is_cheap():
    """The stage names resolve on first use: importing the package loads no stage and no numpy."""
    code = ("import sys, edlcam; heavy = [m for m in ('numpy', 'edlcam.stages', 'edlcam.flight') if m in sys.modules]; "
            "print(heavy); edlcam.simulate; print('edlcam.stages' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["[]", "True"]


def test_a_missing_option_is_a_usage_message_not_an_internal_error(capsys):
    from edlcam.cli import main

    assert main(["simulate"]) == 2
    err = capsys.readouterr().err
    assert "Missing option '--out'" in err and "internal error" not in err
