"""HMS / print_error decoding and Bambu's HMS text lookup."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import gzip
import json
from typing import Any, Final

import aiohttp
from aiohttp import web
import pytest

from custom_components.printernizer.printers.bambu import hms
from custom_components.printernizer.printers.bambu.hms import (
    CANCELLED_PRINT_ERROR,
    HmsReplyError,
    HmsTexts,
    decode_hms,
    decode_print_error,
    fetch_hms_texts,
    hms_display_code,
    module_name,
    parse_hms_response,
    print_error_display_code,
)
from custom_components.printernizer.printers.errors import PrinterConnectionError
from custom_components.printernizer.printers.model import ErrorSeverity
from tests.shared import SHARED_PROTOCOL, requires_shared

REPLY: Final = {
    "result": 0,
    "t": 1,
    "data": {
        "device_hms": {
            "ver": 12,
            "en": [
                {"ecode": "0c00030000030007", "intro": "Possible first layer\n defects  found."},
                {"ecode": "0500060000020070", "intro": ""},
                {"ecode": "short", "intro": "ignored"},
                "junk",
            ],
        },
        "device_error": {"ver": 3, "en": [{"ecode": "07FF8012", "intro": "AMS mapping failed."}]},
    },
}


def test_display_codes() -> None:
    assert hms_display_code(201327360, 196615) == "0C00_0300_0003_0007"
    assert hms_display_code(-1, 0) == "FFFF_FFFF_0000_0000"
    assert print_error_display_code(50348044) == "0300_400C"
    assert print_error_display_code(134184978) == "07FF_8012"


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (0x03000000, "mc"),
        (0x05000000, "mainboard"),
        (0x07000000, "ams"),
        (0x08000000, "toolhead"),
        (0x0C000000, "xcam"),
        (0x12000000, "ams_lite"),
        (0x18000000, "ams_ht"),
        (0x10000000, None),
    ],
)
def test_module_names(value: int, name: str | None) -> None:
    assert module_name(value) == name


def test_decode_hms_without_texts() -> None:
    # X1-family capture: first-layer inspection warning.
    error = decode_hms(201327360, 196615)
    assert error.code == "0C00_0300_0003_0007"
    assert error.source == "hms"
    assert error.severity is ErrorSeverity.COMMON
    assert error.module == "xcam"
    assert error.text is None
    assert (
        error.url == "https://wiki.bambulab.com/en/x1/troubleshooting/hmscode/0C00_0300_0003_0007"
    )


@pytest.mark.parametrize(
    ("code", "severity"),
    [
        (0x00010000, ErrorSeverity.FATAL),
        (0x00020000, ErrorSeverity.SERIOUS),
        (0x00030000, ErrorSeverity.COMMON),
        (0x00040000, ErrorSeverity.INFO),
        (0x00050000, ErrorSeverity.UNKNOWN),
        (0, ErrorSeverity.UNKNOWN),
    ],
)
def test_hms_severity(code: int, severity: ErrorSeverity) -> None:
    assert decode_hms(0x03000000, code).severity is severity


def test_decode_with_texts() -> None:
    texts = parse_hms_response(REPLY, "en")
    assert decode_hms(201327360, 196615, texts).text == "Possible first layer defects found."
    assert decode_hms(83887616, 131184, texts).text is None  # empty text in Bambu's table
    error = decode_print_error(134184978, texts)
    assert error is not None
    assert error.code == "07FF_8012"
    assert error.source == "print_error"
    assert error.module == "ams"
    assert error.severity is ErrorSeverity.UNKNOWN
    assert error.text == "AMS mapping failed."
    assert error.url is None


def test_print_error_zero_and_cancel_are_not_errors() -> None:
    assert decode_print_error(0) is None
    assert decode_print_error(CANCELLED_PRINT_ERROR) is None
    unknown = decode_print_error(0x0300400B)
    assert unknown is not None
    assert unknown.text is None


def test_texts_round_trip() -> None:
    texts = parse_hms_response(REPLY, "en")
    assert texts.hms == {"0C00030000030007": "Possible first layer defects found."}
    assert texts.errors == {"07FF8012": "AMS mapping failed."}
    restored = HmsTexts.from_dict(json.loads(json.dumps(texts.to_dict())))
    assert restored == texts


@pytest.mark.parametrize(
    "data",
    [None, "x", [], {"lang": 5, "hms": "x", "errors": {"1": "a", "07FF8012": 5}}],
)
def test_texts_from_garbage(data: object) -> None:
    texts = HmsTexts.from_dict(data)
    assert texts.hms == {}
    assert texts.errors == {}
    assert texts.lang == "en"


def test_texts_from_dict_normalizes_keys() -> None:
    texts = HmsTexts.from_dict(
        {"lang": "de", "hms": {"0c00030000030007": "Text"}, "errors": {"07ff8012": "Fehler"}}
    )
    assert texts.lang == "de"
    assert texts.hms_text(0x0C000300, 0x00030007) == "Text"
    assert texts.error_text(0x07FF8012) == "Fehler"


@pytest.mark.parametrize(
    ("section", "lang", "found"),
    [
        ({"ver": 1, "en": [{"ecode": "07FF8012", "intro": "x"}]}, "en", True),
        ({"ver": 1, "EN": [{"ecode": "07FF8012", "intro": "x"}]}, "en", True),
        ({"ver": 1, "zh-cn": [{"ecode": "07FF8012", "intro": "x"}]}, "zh_CN", True),
        ({"ver": 1, "zh-cn": [{"ecode": "07FF8012", "intro": "x"}]}, "zh", True),
        ({"ver": 1, "pt": [{"ecode": "07FF8012", "intro": "x"}]}, "pt-br", True),
        ({"ver": 1, "de": [{"ecode": "07FF8012", "intro": "x"}]}, "fr", False),
    ],
)
def test_language_selection(section: dict[str, Any], lang: str, found: bool) -> None:
    reply = {"result": 0, "data": {"device_error": section, "device_hms": "broken"}}
    if found:
        assert parse_hms_response(reply, lang).errors == {"07FF8012": "x"}
    else:
        with pytest.raises(HmsReplyError):
            parse_hms_response(reply, lang)


@pytest.mark.parametrize(
    "reply",
    [None, [], {"result": 1, "data": {}}, {"result": 0}, {"result": 0, "data": []}],
)
def test_bad_replies(reply: object) -> None:
    with pytest.raises(HmsReplyError):
        parse_hms_response(reply, "en")


@requires_shared
def test_worked_examples_against_bambu_tables() -> None:
    """The codes from commands.md §9 resolve to Bambu's texts (tables read in place)."""
    with gzip.open(SHARED_PROTOCOL / "bambu" / "hms" / "ha-bambulab_hms_en.json.gz", "rt") as file:
        table = json.load(file)
    reply = {
        "result": 0,
        "data": {
            section: {
                "en": [{"ecode": code, "intro": next(iter(msgs))} for code, msgs in rows.items()]
            }
            for section, rows in table.items()
        },
    }
    texts = parse_hms_response(reply, "en")
    a1 = decode_hms(50334976, 131075, texts)
    assert a1.code == "0300_0D00_0002_0003"
    assert a1.module == "mc"
    assert a1.severity is ErrorSeverity.SERIOUS
    assert a1.text is not None
    assert a1.text.startswith("The build plate may not be properly placed")
    x1 = decode_hms(201327360, 196615, texts)
    assert x1.text is not None
    assert x1.text.startswith("Possible first layer defects have been detected")
    ams = decode_print_error(134184978, texts)
    assert ams is not None
    assert ams.text is not None
    assert ams.text.startswith("Failed to get AMS mapping table")
    assert texts.error_text(CANCELLED_PRINT_ERROR) == "The task was canceled."


# --- the lookup over HTTP (local server) -----------------------------------------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def serve(socket_enabled: None) -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    """Run handlers on a loopback HTTP server; yield a function returning the URL."""
    runners: list[web.AppRunner] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.router.add_get("/query.php", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}/query.php"

    yield start
    for runner in runners:
        await runner.cleanup()


async def test_fetch_success(serve: Callable[[Handler], Awaitable[str]]) -> None:
    seen: dict[str, str] = {}

    async def handler(request: web.Request) -> web.Response:
        seen.update(request.query)
        seen["ua"] = request.headers.get("User-Agent", "")
        return web.json_response(REPLY)

    url = await serve(handler)
    async with aiohttp.ClientSession() as session:
        texts = await fetch_hms_texts(session, "00m09a000000000", "en", base_url=url)
    assert seen["lang"] == "en"
    assert seen["d"] == "00M"
    assert "Mozilla" in seen["ua"]
    assert texts.hms_text(0x0C000300, 0x00030007) == "Possible first layer defects found."


@pytest.mark.parametrize(
    "respond",
    [
        lambda: web.Response(status=500, text="oops"),
        lambda: web.Response(text="not json"),
        lambda: web.Response(body=b"\xff\xfe\xfa"),
        lambda: web.json_response({"result": -1}),
    ],
)
async def test_fetch_failures(
    serve: Callable[[Handler], Awaitable[str]], respond: Callable[[], web.Response]
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return respond()

    url = await serve(handler)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(PrinterConnectionError):
            await fetch_hms_texts(session, "00M", "en", base_url=url)


async def test_fetch_unreachable(socket_enabled: None) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(PrinterConnectionError):
            await fetch_hms_texts(session, "00M", "en", base_url="http://127.0.0.1:1/query.php")


async def test_fetch_timeout(
    serve: Callable[[Handler], Awaitable[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hms, "_FETCH_TIMEOUT", 0.05)

    async def handler(request: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return web.json_response(REPLY)

    url = await serve(handler)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(PrinterConnectionError):
            await fetch_hms_texts(session, "00M", "en", base_url=url)
