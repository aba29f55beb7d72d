"""PrusaLink HTTP client (Buddy firmware and the Raspberry Pi PrusaLink), no Home Assistant.

Requests go out on the caller's `aiohttp.ClientSession` (Home Assistant's shared one). The Buddy
board is a small MCU with a handful of sockets: every request counts, so authentication reuses
the digest nonce (one request per call once it is known) and nothing is fetched that the caller
did not ask for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
import json
import logging
from typing import Any, Final
from urllib.parse import quote

import aiohttp
from yarl import URL

from ..errors import (
    PrinterAuthError,
    PrinterCommandError,
    PrinterConnectionError,
    PrinterProtocolError,
    PrinterStateError,
    PrinterTimeoutError,
    PrinterUnsupportedError,
)
from ..model import PrinterInfo
from .auth import DigestAuth, DigestError, parse_challenge
from .identity import is_resin, parse_printer_info
from .listing import PrusaFile, Transfer, parse_file, parse_files, parse_storage, parse_transfer
from .values import ParseIssues

_LOGGER = logging.getLogger(__name__)

DEFAULT_USERNAME: Final = "maker"
DEFAULT_TIMEOUT: Final = 10.0
# /api/version "api" values of PrusaLink: Buddy firmware says 2.0.0, the RPi PrusaLink 0.7.x
# says "0.9.0-legacy" (it still speaks v1 and digest, and takes X-Api-Key as well).
KNOWN_APIS: Final = frozenset({"2.0.0", "0.9.0-legacy"})
SNAPSHOT_PATH: Final = "/api/v1/cameras/snap"


class AuthMode(StrEnum):
    """How requests are authenticated."""

    AUTO = "auto"
    """Follow the printer: digest when it challenges with Digest, else X-Api-Key."""
    DIGEST = "digest"
    API_KEY = "api_key"


class ApiMode(StrEnum):
    """Which API family the printer speaks."""

    V1 = "v1"
    LEGACY = "legacy"
    """Only the OctoPrint-style /api/printer and /api/job (Buddy firmware 4.x)."""


class EndpointNotFoundError(PrinterProtocolError):
    """The printer answered 404: this firmware lacks the endpoint."""


type BodyFactory = Callable[[], Any]
"""Returns a fresh request body (bytes, file object, async iterator) for every attempt."""
type Sink = Callable[[bytes], Awaitable[None]]
"""Receives a response body chunk by chunk instead of keeping it in memory."""


@dataclass(frozen=True, slots=True)
class Response:
    """A finished HTTP exchange."""

    status: int
    body: bytes
    content_type: str
    www_authenticate: str = ""


class PrusaLinkClient:
    """Talks to one PrusaLink printer."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        host: str,
        username: str = DEFAULT_USERNAME,
        password: str = "",
        *,
        port: int | None = None,
        base_url: str | None = None,
        auth_mode: AuthMode = AuthMode.AUTO,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Prepare a client; nothing is sent until the first call."""
        self._session = session
        self._base_url = build_base_url(host, port=port, base_url=base_url)
        self._password = password
        self._digest = DigestAuth(username or DEFAULT_USERNAME, password)
        self._configured_auth = auth_mode
        self._auth_mode = auth_mode
        self._timeout = timeout
        self._lock = asyncio.Lock()
        self.api_mode = ApiMode.V1
        self.request_count = 0
        """HTTP requests actually sent (auth round trips included)."""
        self.issues = ParseIssues()
        self.version: dict[str, Any] | None = None
        self.info: dict[str, Any] | None = None
        self.printer_info: PrinterInfo | None = None
        self.has_camera = False

    @property
    def base_url(self) -> str:
        """Return ``http://host[:port]`` without a trailing slash."""
        return self._base_url

    @property
    def auth_mode(self) -> AuthMode:
        """Return the authentication in use (AUTO until the printer has challenged us)."""
        return self._auth_mode

    @property
    def camera_url(self) -> str | None:
        """Return the snapshot path when the printer has a camera."""
        return SNAPSHOT_PATH if self.has_camera else None

    def reset_session(self) -> None:
        """Forget per-connection state (nonce); called after the printer was unreachable."""
        self._digest.reset()

    # ---------------------------------------------------------------- transport

    async def _send(
        self,
        method: str,
        url: URL,
        headers: dict[str, str],
        *,
        body: BodyFactory | None = None,
        sink: Sink | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> Response:
        """Send one HTTP request; map transport failures to client errors.

        ``body`` makes a fresh request body per attempt (digest may need a second one);
        ``sink`` receives a successful (2xx) response body in chunks instead of memory.
        """
        # aiohttp itself repeats an idempotent request (GET, PUT, DELETE) once when a reused
        # keep-alive connection turns out closed, which the Buddy board does to idle sockets.
        self.request_count += 1
        limit = timeout if timeout is not None else self._timeout
        try:
            async with asyncio.timeout(limit):
                async with self._session.request(
                    method,
                    url,
                    headers=headers,
                    allow_redirects=False,
                    data=body() if body is not None else None,
                ) as resp:
                    if sink is not None and 200 <= resp.status < 300:
                        async for chunk in resp.content.iter_chunked(64 * 1024):
                            await sink(chunk)
                        data = b""
                    else:
                        data = await resp.read()
                    return Response(
                        resp.status,
                        data,
                        resp.content_type,
                        resp.headers.get("WWW-Authenticate", ""),
                    )
        except TimeoutError as err:
            raise PrinterTimeoutError(f"{method} {url.path}: no answer in {limit:g} s") from err
        except aiohttp.ClientError as err:
            raise PrinterConnectionError(f"{method} {url.path}: {err}") from err

    def _auth_headers(self, method: str, uri: str, use_key: bool) -> tuple[dict[str, str], bool]:
        """Return (headers, signed_with_digest)."""
        headers = {"Accept": "application/json"}
        if use_key:
            headers["X-Api-Key"] = self._password
            return headers, False
        if (value := self._digest.authorization(method, uri)) is not None:
            headers["Authorization"] = value
            return headers, True
        return headers, False

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: BodyFactory | None = None,
        sink: Sink | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> Response:
        """Send an authenticated request and return the raw response.

        Raises PrinterAuthError when the credentials are refused, PrinterStateError on 409,
        EndpointNotFoundError on 404, PrinterConnectionError on 5xx. ``headers``, ``body``,
        ``sink`` and ``timeout`` serve file transfers (see :meth:`_send`).
        """
        url = URL(self._base_url + path)
        uri = url.raw_path_qs
        async with self._lock:
            resp = await self._authenticated(
                method, url, uri, extra=headers, body=body, sink=sink, timeout=timeout
            )
        return self._check_status(method, path, resp)

    async def _authenticated(
        self,
        method: str,
        url: URL,
        uri: str,
        *,
        extra: Mapping[str, str] | None = None,
        body: BodyFactory | None = None,
        sink: Sink | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> Response:
        use_key = self._auth_mode is AuthMode.API_KEY
        key_tried = use_key
        signed = 0
        # Signing with a nonce remembered from an earlier call: it may have expired meanwhile.
        preemptive = not use_key and self._digest.challenge is not None
        while True:
            headers, did_sign = self._auth_headers(method, uri, use_key)
            if extra:
                headers.update(extra)
            resp = await self._send(method, url, headers, body=body, sink=sink, timeout=timeout)
            if did_sign:
                signed += 1
            if resp.status not in (401, 403):
                if self._auth_mode is AuthMode.AUTO and resp.status < 400 and (use_key or did_sign):
                    self._auth_mode = AuthMode.API_KEY if use_key else AuthMode.DIGEST
                return resp
            challenge = None
            if resp.status == 401 and self._configured_auth is not AuthMode.API_KEY:
                try:
                    challenge = parse_challenge(resp.www_authenticate)
                except DigestError as err:
                    raise PrinterProtocolError(f"unusable digest challenge: {err}") from err
            if challenge is not None and not use_key:
                self._digest.update(challenge)
                # Unsigned → sign; a nonce reused across calls may have expired → re-sign once.
                if signed == 0 or (signed == 1 and preemptive):
                    preemptive = False
                    continue
            if self._configured_auth is AuthMode.AUTO and not key_tried and self._password:
                # Old Buddy 4.x and users who pasted the RPi API key: try X-Api-Key once.
                key_tried = use_key = True
                continue
            raise PrinterAuthError(f"{method} {url.path}: credentials refused ({resp.status})")

    def _check_status(self, method: str, path: str, resp: Response) -> Response:
        status = resp.status
        if status < 300 or status == 304:
            return resp
        text = resp.body[:200].decode("utf-8", "replace").strip()
        if status == 404:
            raise EndpointNotFoundError(f"{method} {path}: not found")
        if status == 409:
            raise PrinterStateError(
                f"{method} {path}: not possible in this state", reason=_reason(text)
            )
        if status >= 500:
            raise PrinterConnectionError(f"{method} {path}: printer answered {status}")
        if method != "GET":
            raise PrinterCommandError(
                f"{method} {path}: printer answered {status}", reason=_reason(text)
            )
        raise PrinterProtocolError(f"{method} {path}: printer answered {status}")

    async def _get_json(self, path: str) -> Any:
        """GET ``path`` and decode JSON; None for 204 or an empty body."""
        resp = await self.request("GET", path)
        if resp.status in (204, 304) or not resp.body.strip():
            return None
        try:
            return json.loads(resp.body)
        except ValueError as err:
            raise PrinterProtocolError(f"GET {path}: not JSON: {resp.body[:80]!r}") from err

    async def _get_object(self, path: str) -> dict[str, Any] | None:
        data = await self._get_json(path)
        if data is None or isinstance(data, dict):
            return data
        raise PrinterProtocolError(f"GET {path}: expected an object, got {type(data).__name__}")

    # ---------------------------------------------------------------- endpoints

    async def get_version(self) -> dict[str, Any]:
        """GET /api/version; PrinterProtocolError when the peer is not PrusaLink."""
        try:
            data = await self._get_json("/api/version")
        except EndpointNotFoundError as err:
            raise PrinterProtocolError("no /api/version: not a PrusaLink printer") from err
        if not isinstance(data, dict) or not looks_like_prusalink(data):
            raise PrinterProtocolError(f"not a PrusaLink answer: {str(data)[:120]}")
        self.version = data
        return data

    async def get_info(self) -> dict[str, Any] | None:
        """GET /api/v1/info; None (and legacy mode) on firmware without the v1 API."""
        try:
            data = await self._get_object("/api/v1/info")
        except EndpointNotFoundError:
            self.api_mode = ApiMode.LEGACY
            return None
        self.api_mode = ApiMode.V1
        self.info = data
        return data

    async def get_printer_info(self) -> PrinterInfo:
        """Identify the printer: /api/version, /api/v1/info and /api/v1/cameras.

        Called at setup and after reconnects. Raises PrinterUnsupportedError for resin printers.
        """
        version = await self.get_version()
        if is_resin(version):
            raise PrinterUnsupportedError(f"resin printer not supported: {version.get('text')}")
        info = await self.get_info()
        if is_resin(version, info):
            raise PrinterUnsupportedError("resin printer not supported")
        self.has_camera = False
        if self.api_mode is ApiMode.V1:
            self.has_camera = bool(await self.get_cameras())
        info_obj = parse_printer_info(
            version,
            info,
            fallback_serial=URL(self._base_url).host or self._base_url,
            camera=self.has_camera,
            legacy_only=self.api_mode is ApiMode.LEGACY,
            issues=self.issues,
        )
        self.printer_info = info_obj
        return info_obj

    async def get_status(self) -> dict[str, Any]:
        """GET /api/v1/status (the poll: printer, job id and progress in one request)."""
        data = await self._get_object("/api/v1/status")
        if data is None:
            raise PrinterProtocolError("GET /api/v1/status: empty answer")
        return data

    async def get_job(self) -> dict[str, Any] | None:
        """GET /api/v1/job; None when no job (204)."""
        return await self._get_object("/api/v1/job")

    async def get_legacy_printer(self) -> dict[str, Any] | None:
        """GET /api/printer (legacy; temperatures, state flags and the loaded filament)."""
        return await self._get_object("/api/printer")

    async def get_legacy_job(self) -> dict[str, Any] | None:
        """GET /api/job (legacy; file and progress as a 0-1 fraction)."""
        return await self._get_object("/api/job")

    async def get_storage(self) -> list[dict[str, Any]]:
        """GET /api/v1/storage (the storages and their free space)."""
        return parse_storage(await self._get_json("/api/v1/storage"), self.issues)

    async def get_transfer(self) -> Transfer | None:
        """GET /api/v1/transfer; None when no transfer runs (204)."""
        return parse_transfer(await self._get_json("/api/v1/transfer"), self.issues)

    async def get_files(self, storage: str = "usb", path: str = "") -> list[PrusaFile]:
        """List a folder (GET /api/v1/files/{storage}/{path})."""
        folder = "/".join(part for part in (storage.strip("/"), path.strip("/")) if part)
        data = await self._get_json(f"/api/v1/files/{quote(folder)}")
        return parse_files(data, folder, self.issues)

    async def get_file_info(self, storage: str, path: str) -> PrusaFile | None:
        """GET /api/v1/files/{storage}/{path} of one file; None when it does not exist."""
        folder, _, _name = f"{storage.strip('/')}/{path.strip('/')}".rpartition("/")
        try:
            data = await self._get_json(
                f"/api/v1/files/{quote(storage.strip('/'))}/{quote(path.strip('/'))}"
            )
        except EndpointNotFoundError:
            return None
        return parse_file(data, folder, self.issues)

    async def get_cameras(self) -> list[Any]:
        """GET /api/v1/cameras; [] when the firmware has none (404/503/204)."""
        try:
            data = await self._get_json("/api/v1/cameras")
        except EndpointNotFoundError, PrinterConnectionError, PrinterProtocolError:
            return []
        if isinstance(data, dict):
            # Some builds wrap the list: {"camera_list": [...]}.
            data = next((value for value in data.values() if isinstance(value, list)), [])
        return data if isinstance(data, list) else []

    async def get_camera_snapshot(self) -> bytes | None:
        """GET /api/v1/cameras/snap; None when there is no image (204/404)."""
        return await self._get_bytes(SNAPSHOT_PATH)

    async def get_thumbnail(self, path: str) -> bytes | None:
        """GET a thumbnail reference (``refs.thumbnail``) relative to the printer."""
        if not path.startswith("/"):
            path = "/" + path
        return await self._get_bytes(path)

    async def _get_bytes(self, path: str) -> bytes | None:
        try:
            resp = await self.request("GET", path)
        except EndpointNotFoundError:
            return None
        if resp.status in (204, 304) or not resp.body:
            return None
        return resp.body

    # ---------------------------------------------------------------- commands

    async def pause_job(self, job_id: int | str | None) -> None:
        """Pause the job (PUT /api/v1/job/{id}/pause); legacy: POST /api/job."""
        await self._job_command("pause", job_id)

    async def resume_job(self, job_id: int | str | None) -> None:
        """Resume the job (PUT /api/v1/job/{id}/resume); legacy: POST /api/job."""
        await self._job_command("resume", job_id)

    async def stop_job(self, job_id: int | str | None) -> None:
        """Stop the job (DELETE /api/v1/job/{id}); legacy: POST /api/job cancel."""
        await self._job_command("stop", job_id)

    async def _job_command(self, action: str, job_id: int | str | None) -> None:
        if self.api_mode is ApiMode.LEGACY:
            await self._legacy_job_command(action)
            return
        if job_id is None or str(job_id).strip() == "":
            raise PrinterStateError(f"cannot {action}: no job", reason="no job")
        ident = str(job_id).strip()
        if action == "stop":
            await self._command("DELETE", f"/api/v1/job/{ident}")
        else:
            await self._command("PUT", f"/api/v1/job/{ident}/{action}")

    async def _command(self, method: str, path: str) -> None:
        try:
            await self.request(method, path)
        except EndpointNotFoundError as err:
            # 404 on a job command: the job id is not the current job any more.
            raise PrinterStateError(f"{method} {path}: no such job", reason="not found") from err

    async def _legacy_job_command(self, action: str) -> None:
        body = {
            "pause": {"command": "pause", "action": "pause"},
            "resume": {"command": "pause", "action": "resume"},
            "stop": {"command": "cancel"},
        }[action]
        url = URL(self._base_url + "/api/job")
        async with self._lock:
            # The legacy API only knows X-Api-Key (and the RPi PrusaLink also digest).
            headers, _ = self._auth_headers(
                "POST", url.raw_path_qs, self._auth_mode is AuthMode.API_KEY
            )
            headers["Content-Type"] = "application/json"
            self.request_count += 1
            try:
                async with asyncio.timeout(self._timeout):
                    async with self._session.post(
                        url, data=json.dumps(body), headers=headers
                    ) as resp:
                        raw = await resp.read()
                        result = Response(resp.status, raw, resp.content_type)
            except TimeoutError as err:
                raise PrinterTimeoutError(
                    f"POST /api/job: no answer in {self._timeout:g} s"
                ) from err
            except aiohttp.ClientError as err:
                raise PrinterConnectionError(f"POST /api/job: {err}") from err
        if result.status in (401, 403):
            raise PrinterAuthError(f"POST /api/job: credentials refused ({result.status})")
        self._check_status("POST", "/api/job", result)


def _reason(text: str) -> str | None:
    """Pull a readable reason out of a PrusaLink error body (JSON ``title``/``text`` or text)."""
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if isinstance(data, Mapping):
        for key in ("title", "text", "message"):
            if isinstance(value := data.get(key), str) and value:
                return value
    return text


def looks_like_prusalink(version: Mapping[str, Any]) -> bool:
    """Return True when /api/version is PrusaLink's (not OctoPrint, not some web server)."""
    api = version.get("api")
    if not isinstance(api, str):
        return False
    if api in KNOWN_APIS:
        return True
    words = " ".join(
        value
        for key in ("text", "original", "hostname")
        if isinstance(value := version.get(key), str)
    ).lower()
    return "prusa" in words and "octoprint" not in words


def build_base_url(host: str, *, port: int | None = None, base_url: str | None = None) -> str:
    """Return ``scheme://host[:port]`` from what the user typed (IP, name, URL, host:port)."""
    text = (base_url or host).strip()
    if "://" not in text:
        text = f"http://{text}"
    url = URL(text)
    if port is not None:
        url = url.with_port(port)
    origin = str(url.origin())
    path = url.path.rstrip("/")
    return origin + path
