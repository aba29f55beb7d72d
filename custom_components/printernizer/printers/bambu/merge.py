"""Keep one merged copy of a Bambu printer's ``print`` report.

X1-series printers push the whole ``print`` object every time; P1/A1 and newer push a full object
only after ``pushall`` (``"msg": 0``) and then deltas (``"msg": 1``) that carry the changed keys only.
A delta never says that a key went away, so the merged state is a plain nested dict that deltas are
folded into:

- nested objects are merged key by key;
- ``ams.ams[]`` units and their ``tray[]`` entries are matched by ``id``. A tray pushed with nothing
  but ``id`` (and ``state``) is the printer saying "this slot is empty": it replaces the stored tray
  so no filament details of the removed spool linger;
- ``hms[]`` is always the complete list of active messages, so it replaces;
- ``lights_report[]`` entries are matched by ``node``;
- any other list whose entries are all objects with an ``id`` (``device.extruder.info``,
  ``device.nozzle.info``, ``device.airduct.parts``, ``vir_slot`` …) is matched by ``id``; every other
  list (``stg``, ``mapping``, ``hms`` …) replaces.

Messages on the report topic that are not status pushes (command acknowledgements such as
``{"print": {"command": "print_speed", "result": "success", …}}`` or the echo of a ``project_file``
request) carry request parameters, not printer state, and are ignored.

The merged dict never shares objects with the incoming message, so callers may reuse messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final

PUSH_STATUS: Final = "push_status"

# Keys every full report carries. X1-series printers omit ``msg`` on their periodic full pushes, so
# a message without ``msg`` that has all of these is treated as full; one that lacks any is a delta.
FULL_PUSH_MARKERS: Final = frozenset(
    {"gcode_state", "mc_percent", "nozzle_temper", "bed_temper", "hms", "ams"}
)

_METADATA_ONLY_TRAY: Final = frozenset({"id", "state"})
_SCALARS: Final = frozenset({str, int, float, bool, type(None)})


class PushKind(StrEnum):
    """How an incoming ``print`` object was applied."""

    FULL = "full"
    DELTA = "delta"
    IGNORED = "ignored"


def classify(incoming: object) -> PushKind:
    """Tell whether a ``print`` object is a full report, a delta, or not state at all."""
    if not isinstance(incoming, dict):
        return PushKind.IGNORED
    command = incoming.get("command")
    if command is not None and command != PUSH_STATUS:
        return PushKind.IGNORED
    msg = incoming.get("msg")
    if msg == 0:
        return PushKind.FULL
    if msg is None and FULL_PUSH_MARKERS.issubset(incoming.keys()):
        return PushKind.FULL
    return PushKind.DELTA


def merge_print(state: dict[str, Any], incoming: object) -> PushKind:
    """Fold a ``print`` object into ``state`` (in place) and return how it was applied.

    A full report replaces the state; a delta is merged into it; anything else leaves it alone.
    """
    kind = classify(incoming)
    if kind is PushKind.IGNORED or not isinstance(incoming, dict):
        return PushKind.IGNORED
    if kind is PushKind.FULL:
        state.clear()
        for key, value in incoming.items():
            state[key] = copy_json(value)
        return kind
    for key, value in incoming.items():
        old = state.get(key)
        if key == "ams" and isinstance(value, dict) and isinstance(old, dict):
            _merge_ams(old, value)
        elif key == "hms":
            state[key] = copy_json(value)
        elif key == "lights_report" and isinstance(value, list) and isinstance(old, list):
            _merge_keyed(old, value, "node")
        else:
            state[key] = merge_value(old, value)
    return kind


def merge_value(old: Any, new: Any) -> Any:
    """Return ``new`` merged onto ``old`` (``old`` is updated in place where it is a container)."""
    if type(new) in _SCALARS:
        return new
    if isinstance(new, dict):
        if isinstance(old, dict):
            for key, value in new.items():
                old[key] = merge_value(old.get(key), value)
            return old
        return copy_json(new)
    if isinstance(new, list):
        if isinstance(old, list) and _all_have(old, "id") and _all_have(new, "id"):
            _merge_keyed(old, new, "id")
            return old
        return copy_json(new)
    return new


def copy_json(value: Any) -> Any:
    """Copy a JSON value (dicts and lists are copied, scalars are immutable)."""
    # type() checks first: this runs over every value of a full report, and ABC isinstance
    # checks cost several times more than the copy itself.
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _SCALARS else copy_json(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _SCALARS else copy_json(v) for v in value]
    if kind in _SCALARS:
        return value
    if isinstance(value, Mapping):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    return value


def _all_have(items: list[Any], key: str) -> bool:
    return bool(items) and all(type(item) is dict and key in item for item in items)


def _merge_keyed(old: list[Any], new: list[Any], key: str) -> None:
    """Merge list entries matched by ``entry[key]``; unmatched new entries are appended."""
    index = {str(item[key]): item for item in old if isinstance(item, dict) and key in item}
    for item in new:
        if not isinstance(item, dict) or key not in item:
            continue  # garbage entry: nothing to match it by
        current = index.get(str(item[key]))
        if current is None:
            copied = copy_json(item)
            old.append(copied)
            index[str(item[key])] = copied
        else:
            merge_value(current, item)


def _merge_ams(old: dict[str, Any], new: Mapping[str, Any]) -> None:
    for key, value in new.items():
        current = old.get(key)
        if key == "ams" and isinstance(value, list) and isinstance(current, list):
            _merge_units(current, value)
        else:
            old[key] = merge_value(current, value)


def _merge_units(old: list[Any], new: list[Any]) -> None:
    index = {str(unit["id"]): unit for unit in old if isinstance(unit, dict) and "id" in unit}
    for unit in new:
        if not isinstance(unit, dict) or "id" not in unit:
            continue
        current = index.get(str(unit["id"]))
        if current is None:
            copied = copy_json(unit)
            old.append(copied)
            index[str(unit["id"])] = copied
            continue
        for key, value in unit.items():
            trays = current.get(key)
            if key == "tray" and isinstance(value, list) and isinstance(trays, list):
                _merge_trays(trays, value)
            else:
                current[key] = merge_value(trays, value)


def _merge_trays(old: list[Any], new: list[Any]) -> None:
    positions = {
        str(tray["id"]): pos
        for pos, tray in enumerate(old)
        if isinstance(tray, dict) and "id" in tray
    }
    for tray in new:
        if not isinstance(tray, dict) or "id" not in tray:
            continue
        pos = positions.get(str(tray["id"]))
        if pos is None:
            positions[str(tray["id"])] = len(old)
            old.append(copy_json(tray))
        elif _METADATA_ONLY_TRAY.issuperset(tray.keys()):
            # The slot is empty (or its spool unknown): drop the previous spool's details.
            old[pos] = copy_json(tray)
        else:
            merge_value(old[pos], tray)
