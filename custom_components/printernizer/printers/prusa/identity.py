"""Which Prusa printer this is: model, serial and firmware from /api/version and /api/v1/info."""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any, Final

from ..model import (
    Capability,
    PrinterInfo,
    Vendor,
)
from .values import (
    ParseIssues,
    as_mapping,
    get_str,
)

# Prusa printer type codes (`printer` in /api/version, "type.version.subversion").
PRINTER_TYPES: Final[dict[str, str]] = {
    "1.2.5": "MK2.5",
    "1.2.6": "MK2.5S",
    "1.3.0": "MK3",
    "1.3.1": "MK3S",
    "1.3.5": "MK3.5",
    "1.3.9": "MK3.9",
    "1.4.0": "MK4",
    "1.4.1": "MK4S",
    "2.1.0": "MINI",
    "3.1.0": "XL",
    "5.1.0": "SL1",
    "5.1.1": "SL1S",
    "7.1.0": "CORE One",
}
# Type 5 is the SLA family (SL1, SL1S, M1): resin printers we do not support.
RESIN_TYPE: Final = "5"

# Hostname / text fragments → model, most specific first (hostnames are lower-cased, '.'/'-'/'_'
# removed: "prusa-mk39" → "prusamk39", "prusa-core-one" → "prusacoreone", "PrusaXL" → "prusaxl").
_MODEL_HINTS: Final[tuple[tuple[str, str], ...]] = (
    ("coreone", "CORE One"),
    ("mk4s", "MK4S"),
    ("mk4", "MK4"),
    ("mk39s", "MK3.9S"),
    ("mk39", "MK3.9"),
    ("mk35s", "MK3.5S"),
    ("mk35", "MK3.5"),
    ("mk3s", "MK3S"),
    ("mk3", "MK3"),
    ("mk25s", "MK2.5S"),
    ("mk25", "MK2.5"),
    ("sl1s", "SL1S"),
    ("sl1", "SL1"),
    ("xl", "XL"),
    ("mini", "MINI"),
)
_RESIN_RE: Final = re.compile(r"\b(SL1S?|SLA|M1)\b", re.IGNORECASE)


def printer_type(
    version: Mapping[str, Any] | None, issues: ParseIssues | None = None
) -> str | None:
    """Return the Prusa printer type code ("1.4.0") from /api/version, if it has one."""
    issues = issues or ParseIssues()
    value = get_str(version, "printer", issues)
    if value is None or not re.fullmatch(r"\d+\.\d+\.\d+", value):
        return None
    return value


def is_resin(version: Mapping[str, Any] | None, info: Mapping[str, Any] | None = None) -> bool:
    """Return True for SLA printers (SL1, SL1S, M1), which we do not support."""
    issues = ParseIssues()
    code = printer_type(version, issues)
    if code is not None and code.split(".")[0] == RESIN_TYPE:
        return True
    for source, key in (
        (version, "text"),
        (version, "original"),
        (version, "hostname"),
        (info, "hostname"),
    ):
        text = get_str(source, key, issues)
        if text is not None and _RESIN_RE.search(text.replace("-", " ").replace("_", " ")):
            return True
    return False


def _model_from_text(text: str | None) -> str | None:
    if not text:
        return None
    compact = re.sub(r"[\s._\-+]", "", text.lower())
    compact = compact.replace("originalprusa", "").replace("prusalink", "").replace("prusa", "")
    compact = compact.removeprefix("i3")
    for hint, model in _MODEL_HINTS:
        if hint in compact:
            return model
    return None


def parse_printer_info(
    version: object,
    info: object,
    *,
    fallback_serial: str = "",
    camera: bool = False,
    legacy_only: bool = False,
    issues: ParseIssues | None = None,
) -> PrinterInfo:
    """Build the device identity from `/api/version` and `/api/v1/info` (None on legacy-only)."""
    issues = issues or ParseIssues()
    ver = as_mapping(version, "version", issues) or {}
    inf = as_mapping(info, "info", issues) or {}
    hostname = get_str(ver, "hostname", issues) or get_str(inf, "hostname", issues)
    serial = get_str(inf, "serial", issues) or hostname or fallback_serial
    code = printer_type(ver, issues)
    model = PRINTER_TYPES.get(code) if code is not None else None
    model = (
        model
        or _model_from_text(get_str(ver, "original", issues))
        or _model_from_text(get_str(ver, "text", issues))
        or _model_from_text(hostname)
    )
    # Old Buddy firmware does not report its version; `server` is PrusaLink's, not the firmware.
    firmware = get_str(ver, "firmware", issues)
    server = get_str(ver, "server", issues)
    capabilities = Capability.PAUSE_RESUME_STOP
    if camera:
        capabilities |= Capability.CAMERA
    if not legacy_only:
        capabilities |= Capability.FANS_RPM
    return PrinterInfo(
        vendor=Vendor.PRUSA,
        serial=serial,
        model=model,
        model_id=code,
        firmware=firmware,
        # The RPi PrusaLink reports the printer firmware; its own version is `server`.
        hardware=f"PrusaLink {server}" if server and get_str(ver, "original", issues) else None,
        name=get_str(inf, "name", issues) or hostname,
        capabilities=capabilities,
    )
