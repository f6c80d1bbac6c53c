"""Names of a package imported on first use (PEP 562 ``__getattr__``), so that importing the
package, and the ``edlcam`` command that imports every stage's commands, stays cheap."""

from __future__ import annotations

import importlib
import sys

__all__ = ["lazy_names"]


def lazy_names(package: str, homes: dict[str, str]):
    """A module ``__getattr__`` for ``package``: name → the submodule (of ``package``) that
    defines it, imported when the name is first read and then kept in the package."""

    def __getattr__(name: str):
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{homes[name]}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
