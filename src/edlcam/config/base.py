"""Base model for mission-file sections: strict, frozen, no unknown keys, finite numbers.

Declared here once for every section:

- every float is finite (no ``nan``/``inf``: TOML can spell them, no model can use them) unless a
  field says otherwise with ``Field(allow_inf_nan=True)`` (none does today);
- :func:`bounded` gives a number the range a model can use, with the reason in its error;
- :func:`table` is an interpolation table's axis (≥ 2 points, strictly increasing) and
  :func:`check_table` ties a column to its axis (same length);
- :func:`check_utc` reads an ISO 8601 UTC time, so that a bad date is refused when the mission
  loads rather than when a stage first prints a time.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

__all__ = ["Section", "bounded", "table", "check_table", "check_utc", "UtcText"]


class Section(BaseModel):
    """A mission-file table: unknown keys are errors, values are immutable once loaded, and every
    float is finite (``allow_inf_nan=False`` reaches the floats inside lists and nested tables)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, validate_default=True, allow_inf_nan=False)


def _fmt(x: float) -> str:
    return f"{x:g}"


def bounded(lo: float | None = None, hi: float | None = None, *, why: str, lo_open: bool = False, hi_open: bool = False, kind=float):
    """A number within [lo, hi] (open ends where asked), refused with ``why`` (the reason no model
    can use a value beyond the bound) in its error."""

    def check(x):
        low_bad = lo is not None and (x <= lo if lo_open else x < lo)
        high_bad = hi is not None and (x >= hi if hi_open else x > hi)
        if low_bad or high_bad:
            if lo is not None and hi is not None:
                rng = f"{'above' if lo_open else 'at least'} {_fmt(lo)} and {'below' if hi_open else 'at most'} {_fmt(hi)}"
            elif lo is not None:
                rng = f"{'above' if lo_open else 'at least'} {_fmt(lo)}"
            else:
                rng = f"{'below' if hi_open else 'at most'} {_fmt(hi)}"
            raise ValueError(f"it should be {rng}: {why}")
        return x

    return Annotated[kind, AfterValidator(check)]


def table(lo: float | None = None, hi: float | None = None, *, why: str, increasing: bool = False):
    """A list of numbers within [lo, hi] (reason ``why``), at least 2 of them (an interpolation
    table), strictly increasing when it is a table's axis."""

    def check(xs: list[float]) -> list[float]:
        if len(xs) < 2:
            raise ValueError(f"it has {len(xs)} value{'' if len(xs) == 1 else 's'}; an interpolation table needs at least 2")
        for i, x in enumerate(xs):
            if (lo is not None and x < lo) or (hi is not None and x > hi):
                where = f"between {_fmt(lo)} and {_fmt(hi)}" if lo is not None and hi is not None else (
                    f"at least {_fmt(lo)}" if lo is not None else f"at most {_fmt(hi)}")
                raise ValueError(f"value {i} is {x:g}; every value should be {where}: {why}")
        if increasing and any(b <= a for a, b in zip(xs, xs[1:])):
            raise ValueError("it must increase strictly (it is the axis the other columns are tabulated against)")
        return xs

    return Annotated[list[float], AfterValidator(check)]


def check_table(axis_name: str, axis: list, column_name: str, column: list) -> None:
    """A column tabulated against ``axis``: one value per axis point."""
    if len(axis) != len(column):
        raise ValueError(f"{axis_name} has {len(axis)} values but {column_name} has {len(column)}; give one {column_name} per {axis_name}")


def check_utc(text: str) -> str:
    """``text`` if it is an ISO 8601 UTC time (``2021-02-18T20:36:38Z``, or with an offset)."""
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError('it should be an ISO 8601 UTC time such as "2021-02-18T20:36:38Z" (a real date and time)') from None
    if dt.tzinfo is None:
        raise ValueError('it has no time zone; end it with Z (UTC), e.g. "2021-02-18T20:36:38Z"')
    year = dt.astimezone(timezone.utc).year
    if not 1900 <= year <= 2200:
        raise ValueError(f"the year {year} is outside 1900–2200, the span of the time scales and ephemerides used")
    return text


UtcText = Annotated[str, AfterValidator(check_utc)]
