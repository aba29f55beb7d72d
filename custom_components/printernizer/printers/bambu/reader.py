"""Tolerant, typed access to a Bambu report; what it has to drop is counted, not raised."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
import logging
import math
from typing import TYPE_CHECKING, Any

from ..model import (
    PrinterState,
)
from .hms import HmsTexts
from .models import (
    ModelSpec,
    VersionInfo,
)

if TYPE_CHECKING:
    from .filament import FilamentCache

_LOGGER = logging.getLogger(__name__)


@dataclass(slots=True)
class ParseDiagnostics:
    """Counts what the parser had to drop, for the integration's diagnostics."""

    counters: Counter[str] = field(default_factory=Counter)
    _logged: set[str] = field(default_factory=set)

    def problem(self, what: str, value: object) -> None:
        """Record an unusable value; log the first occurrence of each kind at debug level."""
        self.counters[what] += 1
        if what not in self._logged:
            self._logged.add(what)
            _LOGGER.debug("Ignoring unusable Bambu value %s=%r", what, value)

    def as_dict(self) -> dict[str, int]:
        """Return the counters (sorted by name)."""
        return dict(sorted(self.counters.items()))


@dataclass(frozen=True, slots=True, kw_only=True)
class ParseContext:
    """What the parser needs besides the report."""

    now: datetime
    model: ModelSpec | None = None
    version: VersionInfo | None = None
    previous: PrinterState | None = None
    """The state parsed from the previous report: keeps end time, start time and cancel stable."""
    texts: HmsTexts | None = None
    diagnostics: ParseDiagnostics = field(default_factory=ParseDiagnostics)
    filament_cache: FilamentCache | None = None
    """Reuses the AMS/external-spool result while their part of the report is unchanged."""


class Reader:
    """Tolerant typed access to one report; every problem goes to the diagnostics."""

    __slots__ = ("diag", "raw")

    def __init__(self, raw: Mapping[str, Any], diag: ParseDiagnostics) -> None:
        """Read from ``raw``; report problems to ``diag``."""
        self.raw = raw
        self.diag = diag

    def number(self, what: str, value: object) -> float | None:
        """Return a finite number from an int, float or numeric string."""
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            self.diag.problem(what, value)
            return None
        if isinstance(value, int | float):
            result = float(value)
        elif isinstance(value, str):
            try:
                result = float(value)
            except ValueError:
                self.diag.problem(what, value)
                return None
        else:
            self.diag.problem(what, value)
            return None
        if not math.isfinite(result):
            self.diag.problem(what, value)
            return None
        return result

    def integer(self, what: str, value: object) -> int | None:
        """Return an int from an int, integral float or numeric string."""
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)  # the common case: AMS ids, temperatures and fans as strings
        number = self.number(what, value)
        if number is None:
            return None
        if not number.is_integer():
            self.diag.problem(what, value)
            return None
        return int(number)

    def ranged(self, what: str, value: object, low: float, high: float) -> float | None:
        """Return a number inside ``[low, high]``, else None."""
        number = self.number(what, value)
        if number is None:
            return None
        if not low <= number <= high:
            self.diag.problem(what, value)
            return None
        return number

    def int_ranged(self, what: str, value: object, low: int, high: int) -> int | None:
        """Return an int inside ``[low, high]``, else None."""
        number = self.integer(what, value)
        if number is None:
            return None
        if not low <= number <= high:
            self.diag.problem(what, value)
            return None
        return number

    def hex_int(self, what: str, value: object) -> int | None:
        """Return the int of a hex string such as ``stat`` or ``fun``."""
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return int(value, 16)
            except ValueError:
                pass
        self.diag.problem(what, value)
        return None

    def mapping(self, what: str, value: object) -> Mapping[str, Any] | None:
        """Return ``value`` when it is an object."""
        if value is None:
            return None
        if isinstance(value, dict):
            return value
        self.diag.problem(what, value)
        return None

    def items(self, what: str, value: object) -> list[Mapping[str, Any]]:
        """Return the objects of a list (other entries are dropped)."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.diag.problem(what, value)
            return []
        result: list[Mapping[str, Any]] = [item for item in value if isinstance(item, dict)]
        if len(result) != len(value):
            self.diag.problem(what, value)
        return result


def text(value: object) -> str | None:
    """Return a non-empty stripped string, else None."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None
