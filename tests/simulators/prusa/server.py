"""aiohttp server that behaves like a PrusaLink printer.

Variants:
- ``buddy``: Buddy firmware (MK4/MINI/XL/CORE One). Digest without ``qop`` (RFC 2069 response),
  realm ``Printer API``, 16-hex nonces valid `nonce_lifetime` seconds, ``stale=true`` when an
  expired nonce carried a correct digest. With ``algorithm_quirk`` (firmware < 5.2.0) an
  Authorization header with an unquoted ``algorithm=`` token is rejected as malformed (400).
  X-Api-Key equal to the password is accepted too.
- ``rpi``: the Raspberry Pi PrusaLink 0.7 (MK3S): api ``0.9.0-legacy``, digest with
  ``qop="auth"``, ``algorithm="MD5-sess"`` and ``opaque`` which must be echoed; X-Api-Key with the
  API key (wrong key → 403 text); v1 and legacy endpoints; a camera.
- ``legacy``: Buddy 4.x (MINI): X-Api-Key only, no /api/v1 (404), legacy /api/printer + /api/job.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import hashlib
import json
import re
import secrets
from typing import Any, Final

from aiohttp import web

from .machine import (
    ATTENTION,
    BUSY,
    ERROR,
    FINISHED,
    IDLE,
    PAUSED,
    PRINTING,
    READY,
    STOPPED,
    ConflictError,
    PrinterMachine,
    SimFile,
    make_png,
)

VARIANTS: Final = ("buddy", "rpi", "legacy")
BUDDY_REALM: Final = "Printer API"
RPI_REALM: Final = "Administrator"
_PARAM_RE: Final = re.compile(r'([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))')
_LEGACY_TEXT: Final = {
    IDLE: "Operational",
    READY: "Operational",
    FINISHED: "Operational",
    BUSY: "Busy",
    PRINTING: "Printing",
    PAUSED: "Paused",
    STOPPED: "Cancelling",
    ERROR: "Error",
    ATTENTION: "Error",
}


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@dataclass
class Fault:
    """A scripted misbehaviour for the next `count` matching requests."""

    kind: str
    """``status``, ``garbage``, ``drop`` or ``delay``."""
    count: int | None
    path: str | None = None
    status: int = 503
    body: bytes = b""
    delay: float = 0.0

    def matches(self, path: str) -> bool:
        """Return True when this fault applies to ``path``."""
        return self.path is None or self.path == path


class PrusaLinkSimulator:
    """A PrusaLink printer on 127.0.0.1 (see module docstring for the variants)."""

    def __init__(
        self,
        *,
        variant: str = "buddy",
        host: str = "127.0.0.1",
        port: int = 0,
        username: str | None = None,
        password: str = "sim-password",  # noqa: S107
        api_key: str | None = None,
        serial: str = "CZPX4720X004XC00001",
        speed: float = 1.0,
        nonce_lifetime: float = 300.0,
        algorithm_quirk: bool = True,
        camera: bool | None = None,
        machine: PrinterMachine | None = None,
    ) -> None:
        """Configure; call `start()` to listen."""
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}")
        self.variant = variant
        self.host = host
        self.port = port
        self.username = username or "maker"
        self.password = password
        self.api_key = api_key or password
        self.serial = serial
        self.nonce_lifetime = nonce_lifetime
        self.algorithm_quirk = algorithm_quirk
        self.camera = (variant == "rpi") if camera is None else camera
        self.machine = machine or PrinterMachine(speed=speed)
        self.requests: list[tuple[str, str]] = []
        self.uploads: list[tuple[str, dict[str, str]]] = []
        """Path and headers of every accepted upload."""
        self.auth_headers: list[str | None] = []
        """Authorization header of every request (None when absent)."""
        self.faults: list[Fault] = []
        self._overrides: dict[str, tuple[int, bytes, str]] = {}
        self._nonce_random = secrets.randbits(32) | 1
        self._opaque = hashlib.sha256(b"prusa-sim").hexdigest()
        self._runner: web.AppRunner | None = None
        self.snapshot = make_png(32, 24, (90, 90, 90))

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start listening (port 0 picks a free port)."""
        app = web.Application(middlewares=[self._middleware])
        self._routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        """Return the base URL."""
        return f"http://{self.host}:{self.port}"

    # ------------------------------------------------------------ controls

    def set_response(
        self, path: str, body: dict[str, Any] | list[Any] | None, status: int = 200
    ) -> None:
        """Answer GET `path` with exactly `body` until changed (None: no body, 200 → 204)."""
        if body is None:
            self._overrides[path] = (204 if status == 200 else status, b"", "application/json")
        else:
            self._overrides[path] = (status, json.dumps(body).encode(), "application/json")

    def set_raw_response(
        self, path: str, body: bytes, status: int = 200, content_type: str = "application/json"
    ) -> None:
        """Answer GET `path` with raw bytes (garbage, HTML, ...) until changed."""
        self._overrides[path] = (status, body, content_type)

    def clear_response(self, path: str | None = None) -> None:
        """Remove one override, or all."""
        if path is None:
            self._overrides.clear()
        else:
            self._overrides.pop(path, None)

    def fail_next(
        self, status: int, count: int | None = 1, path: str | None = None, body: bytes = b""
    ) -> None:
        """Answer the next `count` (None: all) matching requests with `status` (after auth)."""
        self.faults.append(Fault("status", count, path, status=status, body=body))

    def garbage_next(
        self, count: int | None = 1, path: str | None = None, body: bytes = b"\x00<html>garbage{"
    ) -> None:
        """Answer with a 200 whose body is not JSON."""
        self.faults.append(Fault("garbage", count, path, body=body))

    def drop_next(self, count: int | None = 1, path: str | None = None) -> None:
        """Close the connection without answering."""
        self.faults.append(Fault("drop", count, path))

    def slow_next(self, delay: float, count: int | None = 1, path: str | None = None) -> None:
        """Delay the answer by `delay` seconds."""
        self.faults.append(Fault("delay", count, path, delay=delay))

    def clear_faults(self) -> None:
        """Remove every scripted fault."""
        self.faults.clear()

    def reboot(self) -> None:
        """Forget issued nonces, like a printer restart."""
        self._nonce_random = secrets.randbits(32) | 1

    def count(self, path: str, method: str = "GET") -> int:
        """Return how many requests hit `path`."""
        return sum(1 for m, p in self.requests if p == path and m == method)

    # ------------------------------------------------------------ auth

    def _new_nonce(self) -> str:
        return f"{self._nonce_random:08x}{int(self.machine.clock()) & 0xFFFFFFFF:08x}"

    def _nonce_valid(self, nonce: str) -> bool:
        if not re.fullmatch(r"[0-9a-f]{16}", nonce):
            return False
        random_part, ticks = int(nonce[:8], 16), int(nonce[8:], 16)
        age = int(self.machine.clock()) - ticks
        return random_part == self._nonce_random and 0 <= age < self.nonce_lifetime

    def _challenge(self, stale: bool) -> str:
        if self.variant == "rpi":
            return (
                f'Digest realm="{RPI_REALM}", qop="auth", algorithm="MD5-sess", '
                f'nonce="{self._new_nonce()}", opaque="{self._opaque}", stale={str(stale).lower()}'
            )
        return (
            f'Digest realm="{BUDDY_REALM}", nonce="{self._new_nonce()}", stale={str(stale).lower()}'
        )

    def _unauthorized(self, stale: bool = False) -> web.Response:
        return web.json_response(
            {"title": "Unauthorized", "text": "Authorization required"},
            status=401,
            headers={"WWW-Authenticate": self._challenge(stale)},
        )

    def _check_auth(self, request: web.Request) -> web.StreamResponse | None:
        key = request.headers.get("X-Api-Key")
        if key is not None:
            if self.variant == "rpi" and key != self.api_key:
                return web.Response(status=403, text="Bad X-Api-Key.")
            if key == self.api_key:
                return None
            return web.json_response({"title": "Unauthorized"}, status=401)
        if self.variant == "legacy":
            return web.json_response(
                {"title": "Unauthorized", "text": "Missing X-Api-Key"}, status=401
            )
        header = request.headers.get("Authorization")
        if header is None or not header.startswith("Digest "):
            return self._unauthorized()
        raw = header[len("Digest ") :]
        if (
            self.variant == "buddy"
            and self.algorithm_quirk
            and re.search(r'algorithm\s*=\s*[^"\s]', raw)
        ):
            # Buddy < 5.2.0: the request automaton has no transition for an unquoted token.
            return web.json_response({"title": "Bad Request"}, status=400)
        params = {
            m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
            for m in _PARAM_RE.finditer(raw)
        }
        nonce = params.get("nonce", "")
        uri = params.get("uri", "")
        if uri != request.raw_path:
            return self._unauthorized()
        expected = self._expected_response(request.method, params)
        correct = expected is not None and params.get("response") == expected
        if not self._nonce_valid(nonce):
            return self._unauthorized(stale=correct)
        return None if correct else self._unauthorized()

    def _expected_response(self, method: str, params: dict[str, str]) -> str | None:
        nonce, uri = params.get("nonce", ""), params.get("uri", "")
        if self.variant == "rpi":
            # poorwsgi insists on the echoed algorithm, opaque, qop and realm.
            if (
                params.get("algorithm") != "MD5-sess"
                or params.get("opaque") != self._opaque
                or params.get("qop") != "auth"
                or params.get("realm") != RPI_REALM
                or params.get("username") != self.username
            ):
                return None
            cnonce, nc = params.get("cnonce", ""), params.get("nc", "")
            ha1 = _md5(f"{_md5(f'{self.username}:{RPI_REALM}:{self.password}')}:{nonce}:{cnonce}")
            return _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{_md5(f'{method}:{uri}')}")
        # Buddy: fixed user "maker", RFC 2069 response.
        ha1 = _md5(f"{self.username}:{BUDDY_REALM}:{self.password}")
        return _md5(f"{ha1}:{nonce}:{_md5(f'{method}:{uri}')}")

    # ------------------------------------------------------------ middleware

    def _take_fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(path):
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                return fault
        return None

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        self.auth_headers.append(request.headers.get("Authorization"))
        if (denied := self._check_auth(request)) is not None:
            return denied
        fault = self._take_fault(request.path)
        if fault is not None:
            if fault.kind == "delay":
                await asyncio.sleep(fault.delay)
            elif fault.kind == "drop":
                if request.transport is not None:
                    request.transport.abort()
                raise asyncio.CancelledError
            elif fault.kind == "garbage":
                return web.Response(body=fault.body, content_type="application/json")
            else:
                return web.Response(status=fault.status, body=fault.body)
        if request.method == "GET" and request.path in self._overrides:
            status, body, content_type = self._overrides[request.path]
            return web.Response(status=status, body=body or None, content_type=content_type)
        self.machine.tick()
        response: web.StreamResponse = await handler(request)
        return response

    # ------------------------------------------------------------ routes

    def _routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/api/version", self._version)
        r.add_get("/api/printer", self._legacy_printer)
        r.add_get("/api/job", self._legacy_job)
        r.add_post("/api/job", self._legacy_job_command)
        r.add_get("/thumb/{size}/usb/{name:.+}", self._thumb)
        r.add_get("/usb/{name:.+}", self._download)
        if self.variant == "legacy":
            return
        r.add_get("/api/v1/info", self._info)
        r.add_get("/api/v1/status", self._status)
        r.add_get("/api/v1/job", self._job)
        r.add_put("/api/v1/job/{id}/{action}", self._job_action)
        r.add_delete("/api/v1/job/{id}", self._job_stop)
        r.add_get("/api/v1/storage", self._storage)
        r.add_get("/api/v1/transfer", self._no_content)
        r.add_get("/api/v1/files/usb/", self._files)
        r.add_get("/api/v1/files/usb", self._files)
        r.add_get("/api/v1/files/usb/{name:.+}", self._file_info)
        r.add_post("/api/v1/files/usb/{name:.+}", self._start_file)
        r.add_put("/api/v1/files/usb/{name:.+}", self._upload)
        r.add_delete("/api/v1/files/usb/{name:.+}", self._delete_file)
        if self.camera:
            r.add_get("/api/v1/cameras", self._cameras)
            r.add_get("/api/v1/cameras/snap", self._snap)

    async def _no_content(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def _version(self, request: web.Request) -> web.Response:
        if self.variant == "rpi":
            return web.json_response(
                {
                    "api": "0.9.0-legacy",
                    "server": "0.7.2",
                    "original": "PrusaLink I3MK3S",
                    "text": "PrusaLink 0.7.2",
                    "firmware": "3.13.2-7080",
                    "sdk": "0.7.2",
                    "capabilities": {"upload-by-put": True},
                    "hostname": "prusa-mk3",
                }
            )
        if self.variant == "legacy":
            return web.json_response(
                {
                    "api": "2.0.0",
                    "server": "2.1.2",
                    "text": "PrusaLink MINI",
                    "hostname": "PrusaMINI",
                }
            )
        return web.json_response(
            {
                "api": "2.0.0",
                "server": "2.1.2",
                "nozzle_diameter": 0.4,
                "text": "PrusaLink",
                "hostname": "prusa-mk4",
                "firmware": "6.2.4+8852",
                "printer": "1.4.0",
                "capabilities": {"upload-by-put": True},
            }
        )

    async def _info(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "mmu": False,
                "name": "Simulated Prusa",
                "location": "Lab",
                "farm_mode": False,
                "nozzle_diameter": 0.4,
                "min_extrusion_temp": 170,
                "serial": self.serial,
                "sd_ready": True,
                "active_camera": self.camera,
                "hostname": "prusa-mk3" if self.variant == "rpi" else "prusa-mk4",
            }
        )

    def _status_body(self) -> dict[str, Any]:
        m = self.machine
        printer: dict[str, Any] = {
            "state": m.state,
            "temp_nozzle": round(m.nozzle, 1),
            "target_nozzle": m.target_nozzle,
            "temp_bed": round(m.bed, 1),
            "target_bed": m.target_bed,
            "axis_z": 0.2 if m.job else 5.0,
            "flow": m.flow,
            "speed": m.print_speed,
            "fan_hotend": 3000 if m.state == PRINTING else 0,
            "fan_print": 5000 if m.state == PRINTING else 0,
        }
        if m.error_message:
            printer["status_printer"] = {"ok": False, "message": m.error_message}
        body: dict[str, Any] = {
            "printer": printer,
            "storage": {"path": "/usb/", "name": "usb", "read_only": False},
        }
        if m.job is not None:
            body["job"] = {
                "id": m.job.id,
                "progress": m.progress,
                "time_remaining": m.time_remaining,
                "time_printing": round(m.job.elapsed),
            }
        if self.camera:
            body["camera"] = {"id": "simcam1"}
        return body

    async def _status(self, request: web.Request) -> web.Response:
        return web.json_response(self._status_body())

    def _job_body(self) -> dict[str, Any] | None:
        m = self.machine
        if m.job is None:
            return None
        f = m.job.file
        return {
            "id": m.job.id,
            "state": m.state
            if m.state in (PRINTING, PAUSED, FINISHED, STOPPED, ERROR)
            else PRINTING,
            "progress": m.progress,
            "time_remaining": m.time_remaining,
            "time_printing": round(m.job.elapsed),
            "file": {
                "refs": f.refs,
                "name": f.name,
                "display_name": f.display_name,
                "path": "/usb",
                "size": f.size,
                "m_timestamp": f.m_timestamp,
            },
        }

    async def _job(self, request: web.Request) -> web.Response:
        body = self._job_body()
        if body is None:
            return web.Response(status=204)
        return web.json_response(body)

    async def _job_action(self, request: web.Request) -> web.Response:
        action = request.match_info["action"]
        try:
            job_id = int(request.match_info["id"])
        except ValueError:
            return web.Response(status=404)
        commands = {
            "pause": self.machine.pause,
            "resume": self.machine.resume,
            "continue": self.machine.resume,
        }
        if action not in commands:
            return web.Response(status=404)
        return self._run(lambda: commands[action](job_id))

    async def _job_stop(self, request: web.Request) -> web.Response:
        try:
            job_id = int(request.match_info["id"])
        except ValueError:
            return web.Response(status=404)
        return self._run(lambda: self.machine.stop(job_id))

    def _run(self, command: Any) -> web.Response:
        try:
            command()
        except ConflictError as err:
            return web.json_response({"title": "Conflict", "text": str(err)}, status=409)
        except KeyError:
            return web.json_response({"title": "Not Found"}, status=404)
        return web.Response(status=204)

    async def _file_info(self, request: web.Request) -> web.Response:
        name = request.match_info["name"].strip("/")
        if name in self._folders():
            return self._folder(name)
        file = self.machine.file_by_name(name)
        if file is None:
            return web.Response(status=404)
        body: dict[str, Any] = {
            "name": file.name,
            "display_name": file.display_name,
            "type": "PRINT_FILE",
            "ro": False,
            "m_timestamp": file.m_timestamp,
            "size": file.size,
            "refs": file.refs,
        }
        if file.meta is not None:
            body["meta"] = file.meta
        return web.json_response(body)

    def _folders(self) -> set[str]:
        return {f.folder for f in self.machine.files if f.folder}

    def _folder(self, folder: str) -> web.Response:
        children: list[dict[str, Any]] = [
            {"name": sub, "display_name": sub, "type": "FOLDER", "ro": False}
            for sub in sorted(self._folders())
            if not folder and "/" not in sub
        ]
        children += [
            {
                "name": f.name,
                "display_name": f.display_name,
                "type": "PRINT_FILE",
                "ro": False,
                "m_timestamp": f.m_timestamp,
                "size": f.size,
                "refs": f.refs,
            }
            for f in self.machine.files
            if f.folder == folder
        ]
        return web.json_response(
            {"type": "FOLDER", "ro": False, "name": folder or "usb", "children": children}
        )

    async def _download(self, request: web.Request) -> web.Response:
        file = self.machine.file_by_name(request.match_info["name"].strip("/"))
        if file is None:
            return web.Response(status=404)
        return web.Response(body=file.data, content_type="application/octet-stream")

    async def _upload(self, request: web.Request) -> web.Response:
        """PUT: store a file (``Overwrite``, ``Print-After-Upload``: ``?1``/``?0``)."""
        path = request.match_info["name"].strip("/")
        folder, _, name = path.rpartition("/")
        data = await request.read()
        existing = self.machine.file_by_name(path)
        if existing is not None and request.headers.get("Overwrite") != "?1":
            return web.json_response({"title": "Conflict", "text": "File exists"}, status=409)
        if existing is not None:
            self.machine.files.remove(existing)
        self.uploads.append((path, dict(request.headers)))
        self.machine.files.append(
            SimFile(
                name=name,
                display_name=name,
                duration=600,
                size=len(data),
                m_timestamp=1_730_000_000,
                thumbnail=make_png(16, 12, (1, 2, 3)),
                icon=make_png(8, 6, (1, 2, 3)),
                content=data,
                folder=folder,
            )
        )
        if request.headers.get("Print-After-Upload") == "?1":
            response = self._run(lambda: self.machine.start(name))
            if response.status != 204:
                return response
        return web.Response(status=201)

    async def _delete_file(self, request: web.Request) -> web.Response:
        file = self.machine.file_by_name(request.match_info["name"].strip("/"))
        if file is None:
            return web.Response(status=404)
        job = self.machine.job
        if job is not None and job.file is file and self.machine.state in (PRINTING, PAUSED):
            return web.json_response({"title": "Conflict", "text": "File is printed"}, status=409)
        self.machine.files.remove(file)
        return web.Response(status=204)

    async def _start_file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if self.machine.file_by_name(name) is None:
            return web.Response(status=404)
        return self._run(lambda: self.machine.start(name))

    async def _storage(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "storage_list": [
                    {
                        "name": "usb",
                        "path": "/usb/",
                        "type": "USB",
                        "read_only": False,
                        "available": True,
                    }
                ]
            }
        )

    async def _files(self, request: web.Request) -> web.Response:
        return self._folder("")

    async def _thumb(self, request: web.Request) -> web.Response:
        file = self.machine.file_by_name(request.match_info["name"])
        if file is None:
            return web.Response(status=404)
        data = file.icon if request.match_info["size"] == "s" else file.thumbnail
        return web.Response(body=data, content_type="image/png")

    async def _cameras(self, request: web.Request) -> web.Response:
        return web.json_response(
            [
                {
                    "camera_id": "simcam1",
                    "config": {
                        "path": "/dev/video0",
                        "name": "Sim camera",
                        "driver": "V4L2",
                        "resolution": "640x480",
                    },
                    "connected": True,
                    "detected": True,
                    "stored": True,
                    "linked": False,
                }
            ]
        )

    async def _snap(self, request: web.Request) -> web.Response:
        return web.Response(body=self.snapshot, content_type="image/png")

    # ------------------------------------------------------------ legacy API

    async def _legacy_printer(self, request: web.Request) -> web.Response:
        m = self.machine
        flags = {
            "operational": m.state in (IDLE, READY, FINISHED, STOPPED),
            "paused": m.state == PAUSED,
            "printing": m.state == PRINTING,
            "cancelling": m.state == STOPPED,
            "pausing": False,
            "sdReady": True,
            "error": m.state in (ERROR, ATTENTION),
            "ready": m.state in (IDLE, READY),
            "closedOrError": False,
            "busy": m.state == BUSY,
        }
        if self.variant == "rpi":
            flags["link_state"] = m.state
        return web.json_response(
            {
                "temperature": {
                    "tool0": {
                        "actual": round(m.nozzle, 1),
                        "target": m.target_nozzle,
                        "display": 0.0,
                        "offset": 0,
                    },
                    "bed": {"actual": round(m.bed, 1), "target": m.target_bed, "offset": 0},
                },
                "sd": {"ready": True},
                "state": {"text": _LEGACY_TEXT[m.state], "flags": flags},
                "telemetry": {
                    "temp-bed": round(m.bed, 1),
                    "temp-nozzle": round(m.nozzle, 1),
                    "print-speed": m.print_speed,
                    "z-height": 0.2,
                    "material": " - " if self.variant == "rpi" and m.job is None else m.material,
                },
            }
        )

    async def _legacy_job(self, request: web.Request) -> web.Response:
        m = self.machine
        if m.job is None or m.state not in (PRINTING, PAUSED, ATTENTION):
            return web.json_response(
                {"state": _LEGACY_TEXT[m.state], "job": None, "progress": None}
            )
        f = m.job.file
        return web.json_response(
            {
                "state": _LEGACY_TEXT[m.state],
                "job": {
                    "estimatedPrintTime": round(f.duration),
                    "file": {
                        "name": f.display_name,
                        "path": f"/usb/{f.name}",
                        "display": f.display_name,
                    },
                },
                "progress": {
                    "completion": round(m.job.elapsed / f.duration, 2),
                    "printTime": round(m.job.elapsed),
                    "printTimeLeft": m.time_remaining,
                },
            }
        )

    async def _legacy_job_command(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return web.Response(status=400)
        command, action = body.get("command"), body.get("action")
        if command == "pause" and action == "pause":
            return self._run(self.machine.pause)
        if command == "pause" and action == "resume":
            return self._run(self.machine.resume)
        if command == "cancel":
            return self._run(self.machine.stop)
        return web.Response(status=501)
