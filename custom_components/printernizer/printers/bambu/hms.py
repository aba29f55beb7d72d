"""Decode Bambu HMS messages and ``print_error`` codes, and fetch their texts from Bambu.

An ``hms[]`` entry is ``{"attr": A, "code": C}`` (newer firmware adds ``action``/``timestamp``), two
32-bit numbers (Bambu Studio ``HMSItem::parse_hms_info``):

- module = ``A >> 24`` (0x03 motion controller, 0x05 mainboard, 0x07 AMS, 0x08 toolhead, 0x0C
  XCam/lidar, 0x12 AMS lite, 0x18 AMS HT; the last two seen only in Bambu's code tables);
- severity = ``C >> 16``: 1 fatal, 2 serious, 3 common, 4 info;
- the code Bambu publishes is ``"%08X%08X" % (A, C)``, shown as ``AAAA_AAAA_CCCC_CCCC``; the wiki
  page is ``https://wiki.bambulab.com/en/x1/troubleshooting/hmscode/<that>`` (the X1 path hosts the
  generic page of every code; ha-bambulab links the same).

``print_error`` is a single 32-bit number shown as ``XXXX_XXXX`` (its top byte is the same module id).
It carries no severity. 50348044 (``0300_400C``, "The task was canceled.") is what the printer
reports for a cancelled print: a status signal, not an error to show.

Human texts come from Bambu's public lookup ``https://e.bambulab.com/query.php?lang=<lang>&d=<serial
prefix>`` whose reply is ``{"result": 0, "data": {"device_hms": {"ver": n, "<lang>": [{"ecode":
"<16 hex>", "intro": "<text>"}, …]}, "device_error": {"ver": n, "<lang>": [{"ecode": "<8 hex>", …}]}}}``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
import json
import logging
from typing import Any, Final

import aiohttp

from ..errors import PrinterConnectionError
from ..model import ErrorSeverity, PrinterError

_LOGGER = logging.getLogger(__name__)

CANCELLED_PRINT_ERROR: Final = 50348044  # 0x0300400C "The task was canceled."

HMS_TEXT_URL: Final = "https://e.bambulab.com/query.php"
WIKI_URL: Final = "https://wiki.bambulab.com/en/x1/troubleshooting/hmscode/{code}"
# The lookup answers 403 to clients without a browser-like User-Agent.
_USER_AGENT: Final = "Mozilla/5.0 (compatible; printernizer-homeassistant)"
_FETCH_TIMEOUT: Final = 30.0
_U32: Final = 0xFFFFFFFF

MODULE_NAMES: Final[Mapping[int, str]] = {
    0x03: "mc",
    0x05: "mainboard",
    0x07: "ams",
    0x08: "toolhead",
    0x0C: "xcam",
    0x12: "ams_lite",
    0x18: "ams_ht",
}
SEVERITIES: Final[Mapping[int, ErrorSeverity]] = {
    1: ErrorSeverity.FATAL,
    2: ErrorSeverity.SERIOUS,
    3: ErrorSeverity.COMMON,
    4: ErrorSeverity.INFO,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class HmsTexts:
    """Bambu's texts for HMS codes and ``print_error`` codes in one language."""

    lang: str = "en"
    hms: Mapping[str, str] = field(default_factory=dict)
    """16 upper-case hex digits (attr + code) → text."""
    errors: Mapping[str, str] = field(default_factory=dict)
    """8 upper-case hex digits → text."""

    def hms_text(self, attr: int, code: int) -> str | None:
        """Return the text of an HMS message, or None when unknown."""
        return self.hms.get(f"{attr & _U32:08X}{code & _U32:08X}")

    def error_text(self, code: int) -> str | None:
        """Return the text of a ``print_error`` code, or None when unknown."""
        return self.errors.get(f"{code & _U32:08X}")

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serializable form (for the Home Assistant store)."""
        return {"lang": self.lang, "hms": dict(self.hms), "errors": dict(self.errors)}

    @classmethod
    def from_dict(cls, data: object) -> HmsTexts:
        """Rebuild from :meth:`to_dict` output; unusable entries are dropped, never raised."""
        if not isinstance(data, Mapping):
            return cls()
        lang = data.get("lang")
        return cls(
            lang=lang if isinstance(lang, str) else "en",
            hms=_clean_table(data.get("hms"), 16),
            errors=_clean_table(data.get("errors"), 8),
        )


def _clean_table(table: object, digits: int) -> dict[str, str]:
    if not isinstance(table, Mapping):
        return {}
    return {
        key.upper(): text
        for key, text in table.items()
        if isinstance(key, str) and len(key) == digits and isinstance(text, str) and text
    }


def hms_display_code(attr: int, code: int) -> str:
    """Return ``AAAA_AAAA_CCCC_CCCC`` for an HMS entry."""
    raw = f"{attr & _U32:08X}{code & _U32:08X}"
    return "_".join(raw[pos : pos + 4] for pos in range(0, 16, 4))


def print_error_display_code(code: int) -> str:
    """Return ``XXXX_XXXX`` for a ``print_error`` value."""
    raw = f"{code & _U32:08X}"
    return f"{raw[:4]}_{raw[4:]}"


def module_name(value: int) -> str | None:
    """Return the module an ``attr`` (or ``print_error``) belongs to, None when unknown."""
    return MODULE_NAMES.get((value & _U32) >> 24)


def decode_hms(attr: int, code: int, texts: HmsTexts | None = None) -> PrinterError:
    """Turn one ``hms[]`` entry into a :class:`PrinterError`."""
    display = hms_display_code(attr, code)
    return PrinterError(
        code=display,
        source="hms",
        severity=SEVERITIES.get((code & _U32) >> 16, ErrorSeverity.UNKNOWN),
        module=module_name(attr),
        text=texts.hms_text(attr, code) if texts is not None else None,
        url=WIKI_URL.format(code=display),
    )


def decode_print_error(code: int, texts: HmsTexts | None = None) -> PrinterError | None:
    """Turn a ``print_error`` value into a :class:`PrinterError`; None for 0 and for a cancel."""
    if code in (0, CANCELLED_PRINT_ERROR):
        return None
    return PrinterError(
        code=print_error_display_code(code),
        source="print_error",
        module=module_name(code),
        text=texts.error_text(code) if texts is not None else None,
    )


class HmsReplyError(ValueError):
    """The HMS lookup answered something that is not an HMS text table."""


def parse_hms_response(payload: object, lang: str) -> HmsTexts:
    """Read a ``query.php`` reply; raise :class:`HmsReplyError` when it is not one."""
    data = payload.get("data") if isinstance(payload, Mapping) else None
    if not isinstance(payload, Mapping) or payload.get("result") != 0:
        raise HmsReplyError("HMS lookup answered without success")
    if not isinstance(data, Mapping):
        raise HmsReplyError("HMS lookup answered without data")
    hms = _language_entries(data.get("device_hms"), lang)
    errors = _language_entries(data.get("device_error"), lang)
    if hms is None and errors is None:
        raise HmsReplyError(f"HMS lookup has no texts for language {lang!r}")
    return HmsTexts(lang=lang, hms=_entries(hms or (), 16), errors=_entries(errors or (), 8))


def _language_entries(section: object, lang: str) -> list[Any] | None:
    """Pick the list for ``lang`` (keys differ in case and separator: ``en``, ``zh-cn`` …)."""
    if not isinstance(section, Mapping):
        return None
    wanted = lang.lower().replace("_", "-")
    lists = {str(key).lower(): value for key, value in section.items() if isinstance(value, list)}
    if wanted in lists:
        return lists[wanted]
    for key, value in lists.items():
        if key.startswith(wanted) or wanted.startswith(key):
            return value
    return None


def _entries(items: Iterable[Any], digits: int) -> dict[str, str]:
    table: dict[str, str] = {}
    for item in items:
        if not isinstance(item, Mapping):
            continue
        code, text = item.get("ecode"), item.get("intro")
        if isinstance(code, str) and len(code) == digits and isinstance(text, str):
            text = " ".join(text.split())  # the service embeds line breaks and double spaces
            if text:
                table[code.upper()] = text
    return table


async def fetch_hms_texts(
    session: aiohttp.ClientSession,
    serial: str,
    lang: str,
    *,
    base_url: str = HMS_TEXT_URL,
) -> HmsTexts:
    """Download Bambu's HMS and ``print_error`` texts for this printer's model and language.

    Every failure (network, HTTP status, not JSON, unexpected shape, no answer within 30 s) raises
    :class:`PrinterConnectionError`; callers keep showing codes without text.
    """
    params = {"lang": lang, "d": serial[:3].upper()}
    try:
        async with asyncio.timeout(_FETCH_TIMEOUT):
            body = await _download(session, base_url, params)
        return parse_hms_response(json.loads(body), lang)
    except (aiohttp.ClientError, TimeoutError, OSError) as err:
        raise PrinterConnectionError(f"HMS lookup failed: {err!r}") from err
    except ValueError as err:  # also json.JSONDecodeError / UnicodeDecodeError
        _LOGGER.debug("Unusable HMS lookup reply: %s", err)
        raise PrinterConnectionError(f"HMS lookup gave an unusable reply: {err}") from err


async def _download(session: aiohttp.ClientSession, url: str, params: Mapping[str, str]) -> bytes:
    async with session.get(url, params=params, headers={"User-Agent": _USER_AGENT}) as response:
        if response.status != 200:
            raise PrinterConnectionError(f"HMS lookup answered HTTP {response.status}")
        return await response.read()
