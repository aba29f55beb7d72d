"""Tolerant reading of PrusaLink JSON: wrong types and out-of-range values are counted, not raised."""

from __future__ import annotations

from collections.abc import Mapping
import logging
import math
from typing import Any, Final

_LOGGER = logging.getLogger(__name__)


class ParseIssues:
    """Counts unexpected values; each place is logged once at debug level."""

    def __init__(self) -> None:
        """Start with nothing seen."""
        self.count = 0
        self._logged: set[str] = set()

    def report(self, where: str, value: object) -> None:
        """Record that ``where`` held something unusable."""
        self.count += 1
        if where not in self._logged:
            self._logged.add(where)
            _LOGGER.debug("PrusaLink: ignoring unexpected value at %s: %.200r", where, value)


def get_mapping(
    data: Mapping[str, Any] | None, key: str, issues: ParseIssues
) -> Mapping[str, Any] | None:
    """Return ``data[key]`` when it is an object (None when absent or of another type)."""
    if data is None:
        return None
    value = data.get(key)
    if value is None or isinstance(value, Mapping):
        return value
    issues.report(key, value)
    return None


_DAY: Final = 86_400
_TEMPERATURE: Final = (-40.0, 600.0)
_PERCENT_FACTOR: Final = (0.0, 1000.0)
# Values outside these ranges are firmware glitches (or garbage), never real readings.
_RANGES: Final[Mapping[str, tuple[float, float]]] = {
    "progress": (0.0, 100.0),
    "completion": (0.0, 100.0),
    "time_remaining": (0.0, 30.0 * _DAY),
    "time_printing": (0.0, 30.0 * _DAY),
    "printTimeLeft": (0.0, 30.0 * _DAY),
    "printTime": (0.0, 30.0 * _DAY),
    "temp_nozzle": _TEMPERATURE,
    "target_nozzle": _TEMPERATURE,
    "temp_bed": _TEMPERATURE,
    "target_bed": _TEMPERATURE,
    "temp-nozzle": _TEMPERATURE,
    "temp-bed": _TEMPERATURE,
    "actual": _TEMPERATURE,
    "target": _TEMPERATURE,
    "speed": _PERCENT_FACTOR,
    "flow": _PERCENT_FACTOR,
    "print-speed": _PERCENT_FACTOR,
    "printSpeed": _PERCENT_FACTOR,
    "flow_factor": _PERCENT_FACTOR,
    "fan_hotend": (0.0, 100_000.0),
    "fan_print": (0.0, 100_000.0),
}


def get_float(data: Mapping[str, Any] | None, key: str, issues: ParseIssues) -> float | None:
    """Return ``data[key]`` as a finite number within its known range, else None."""
    if data is None:
        return None
    value = data.get(key)
    if value is None:
        return None
    result: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            result = None
    if result is None or not math.isfinite(result):
        issues.report(key, value)
        return None
    if (limits := _RANGES.get(key)) is not None and not limits[0] <= result <= limits[1]:
        issues.report(key, value)
        return None
    return result


def get_int(data: Mapping[str, Any] | None, key: str, issues: ParseIssues) -> int | None:
    """Return ``data[key]`` as a whole number within its known range, else None."""
    value = get_float(data, key, issues)
    return None if value is None else round(value)


def get_str(data: Mapping[str, Any] | None, key: str, issues: ParseIssues) -> str | None:
    """Return ``data[key]`` as non-empty text (numbers are accepted), else None."""
    if data is None:
        return None
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    issues.report(key, value)
    return None


def as_mapping(data: object, where: str, issues: ParseIssues) -> Mapping[str, Any] | None:
    """Return ``data`` when it is an object (None when absent or of another type)."""
    if data is None or isinstance(data, Mapping):
        return data
    issues.report(where, data)
    return None


def first_of(*values: float | None) -> float | None:
    """Return the first value that is not None."""
    return next((value for value in values if value is not None), None)


def to_minutes(seconds: float | None) -> int | None:
    """PrusaLink reports seconds; the model wants whole minutes."""
    if seconds is None or seconds < 0:
        return None
    return round(seconds / 60)


def storage_list(value: object, issues: ParseIssues) -> list[dict[str, Any]] | None:
    """`storage` is an object in /api/v1/status but a list on some firmwares."""
    items: list[object]
    if isinstance(value, Mapping):
        items = [value]
    elif isinstance(value, list):
        items = value
    elif value is None:
        return None
    else:
        issues.report("storage", value)
        return None
    result = [dict(item) for item in items if isinstance(item, Mapping)]
    if len(result) != len(items):
        issues.report("storage[]", value)
    return result
