"""Track one Bambu printer's state from the messages on its report topic.

This sits on the per-message hot path (a farm of 50 printers pushes about 50 messages a second), so
:meth:`BambuStateTracker.apply` merges the message and re-derives only the fields its keys feed (a
full report or a change of job state, file or filament re-parses the merged report); everything else
(diagnostics, unknown-key scans) is computed on demand.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
import logging
from typing import Any, Final

from ..model import PrinterInfo, PrinterState, log_name
from .filament import FilamentCache
from .hms import HmsTexts
from .merge import PushKind, merge_print
from .models import ModelSpec, VersionInfo, build_info, model_from_serial, parse_version
from .parser import parse_delta, parse_state
from .reader import ParseContext, ParseDiagnostics

_LOGGER = logging.getLogger(__name__)

GET_VERSION: Final = "get_version"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class BambuStateTracker:
    """Merged report, detected model and normalized state of one printer."""

    def __init__(
        self,
        serial: str,
        *,
        hms_texts: HmsTexts | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        """Start with nothing known but the serial (which may already tell the model)."""
        self._serial = serial
        self._log_name = log_name(serial)
        self._clock = clock
        self._raw: dict[str, Any] = {}
        self._version: VersionInfo | None = None
        self._hms_texts = hms_texts
        self._diagnostics = ParseDiagnostics()
        self._filament_cache = FilamentCache()
        self._messages: Counter[str] = Counter()
        self._state = PrinterState()
        self._parsed = False
        self._changed: frozenset[str] | None = None
        self._info = build_info(serial, None)

    @property
    def state(self) -> PrinterState:
        """Return the normalized state (defaults until the first report)."""
        return self._state

    @property
    def changed_fields(self) -> frozenset[str] | None:
        """Return the fields the last applied delta changed (None: not known, compare them all)."""
        return self._changed

    @property
    def info(self) -> PrinterInfo:
        """Return the device identity."""
        return self._info

    @property
    def raw(self) -> Mapping[str, Any]:
        """Return the merged ``print`` report (for diagnostics; do not modify)."""
        return self._raw

    @property
    def model(self) -> ModelSpec | None:
        """Return the detected model (from ``get_version``, else from the serial)."""
        if self._version is not None and self._version.model is not None:
            return self._version.model
        return model_from_serial(self._serial)

    @property
    def version(self) -> VersionInfo | None:
        """Return what the last ``get_version`` reply said."""
        return self._version

    @property
    def hms_texts(self) -> HmsTexts | None:
        """Return the HMS text table used for error texts."""
        return self._hms_texts

    @hms_texts.setter
    def hms_texts(self, texts: HmsTexts | None) -> None:
        """Use a new text table; the current errors get their texts right away."""
        self._hms_texts = texts
        if self._raw:
            self._reparse()

    def apply(self, message: object) -> bool:
        """Apply one report-topic message; return True when the normalized state or info changed."""
        self._changed = None
        if not isinstance(message, dict):
            self._messages["invalid"] += 1
            return False
        changed = False
        report = message.get("print")
        if report is not None:
            kind = merge_print(self._raw, report)
            self._messages[f"print_{kind}"] += 1
            if kind is PushKind.DELTA and self._parsed:
                changed = self._apply_delta(report.keys())
            elif kind is not PushKind.IGNORED:
                changed = self._reparse()
        info = message.get("info")
        if isinstance(info, dict) and info.get("command") == GET_VERSION:
            self._messages["get_version"] += 1
            changed = self._apply_version(info) or changed
        elif report is None:
            self._messages["other"] += 1
        return changed

    def _apply_version(self, info: Mapping[str, Any]) -> bool:
        self._version = parse_version(info)
        state_changed = self._reparse() if self._raw else False
        return self._update_info() or state_changed

    def _update_info(self) -> bool:
        info = build_info(self._serial, self._version, has_ams=bool(self._state.ams_units))
        if info == self._info:
            return False
        self._info = info
        return True

    def _context(self) -> ParseContext:
        return ParseContext(
            now=self._clock(),
            model=self.model,
            version=self._version,
            previous=self._state if self._parsed else None,
            texts=self._hms_texts,
            diagnostics=self._diagnostics,
            filament_cache=self._filament_cache,
        )

    def _apply_delta(self, keys: Iterable[str]) -> bool:
        try:
            fields = parse_delta(self._raw, keys, self._context())
        except Exception:  # a report must never take the connection down
            _LOGGER.debug("Could not parse Bambu delta of %s", self._log_name, exc_info=True)
            return self._parse_failed()
        if fields is None:
            return self._reparse()
        previous = self._state
        extra = fields.pop("extra", previous.extra)
        changes = {
            name: value for name, value in fields.items() if getattr(previous, name) != value
        }
        self._changed = frozenset(changes)
        if extra != previous.extra:
            changes["extra"] = extra  # diagnostics only: stored, not announced
        if changes:
            self._state = replace(previous, **changes)
        return bool(self._changed)

    def _parse_failed(self) -> bool:
        self._diagnostics.problem("parse_failure", None)
        return False

    def _reparse(self) -> bool:
        self._changed = None
        try:
            state = parse_state(self._raw, self._context())
        except Exception:  # a report must never take the connection down
            _LOGGER.debug("Could not parse Bambu report of %s", self._log_name, exc_info=True)
            return self._parse_failed()
        changed = state != self._state or not self._parsed
        self._parsed = True
        had_ams = bool(self._state.ams_units)
        self._state = state
        if bool(state.ams_units) != had_ams:
            changed = self._update_info() or changed
        return changed

    def diagnostics(self) -> dict[str, Any]:
        """Return counters and the detected model for the integration's diagnostics."""
        model = self.model
        return {
            "model": model.model_id if model is not None else None,
            "firmware": self._version.firmware if self._version is not None else None,
            "messages": dict(sorted(self._messages.items())),
            "dropped_values": self._diagnostics.as_dict(),
            "hms_texts": (
                {"lang": self._hms_texts.lang, "hms": len(self._hms_texts.hms)}
                if self._hms_texts is not None
                else None
            ),
            "report_keys": len(self._raw),
        }
