"""Adaptive polling of a Prusa printer over PrusaLink."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, override

from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import UpdateFailed

from .const import (
    CONF_IDLE_INTERVAL,
    CONF_PRINTING_INTERVAL,
    DEFAULT_IDLE_INTERVAL,
    DEFAULT_PRINTING_INTERVAL,
    DOMAIN,
)
from .coordinator import (
    PrinternizerConfigEntry,
    PrinternizerCoordinator,
    changed_fields,
    raise_setup_errors,
)
from .helpers import printer_command
from .printers.errors import PrinterAuthError, PrinterClientError
from .printers.model import PrinterInfo, PrinterState, Vendor
from .printers.prusa.client import ApiMode, PrusaLinkClient
from .printers.prusa.poller import PrusaPoller
from .repairs import async_update_firmware_issue

# Failed polls in a row that are bridged with the last state before the printer counts as
# unavailable: the Buddy board drops single requests while it is busy (e.g. slicing metadata).
GRACE_FAILURES = 2
# A PrusaLink board that has not answered in 10 s is busy or gone; the poll counts as failed.
REQUEST_TIMEOUT = 10.0


class PrusaCoordinator(PrinternizerCoordinator):
    """Polls about every 6 s while a job runs, every 30 s idle, backing off to 5 min when away."""

    vendor = Vendor.PRUSA

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PrinternizerConfigEntry,
        client: PrusaLinkClient,
        info: PrinterInfo,
    ) -> None:
        """Initialize from a client that has identified the printer."""
        self.poller = PrusaPoller(
            client,
            active_interval=entry.options.get(CONF_PRINTING_INTERVAL, DEFAULT_PRINTING_INTERVAL),
            idle_interval=entry.options.get(CONF_IDLE_INTERVAL, DEFAULT_IDLE_INTERVAL),
        )
        super().__init__(
            hass,
            entry,
            info,
            update_interval=timedelta(seconds=self.poller.idle_interval),
        )
        self.client = client

    @override
    async def _async_update_data(self) -> PrinterState:
        try:
            state = await self.poller.poll(self.data)
        except PrinterAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="invalid_auth",
                translation_placeholders={"printer": self.printer_name},
            ) from err
        except PrinterClientError as err:
            self.update_interval = timedelta(seconds=self.poller.next_interval)
            if self.data is not None and self.poller.failures <= GRACE_FAILURES:
                return self.data
            self.set_available(False)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="communication_error",
                translation_placeholders={"printer": self.printer_name},
            ) from err
        self.set_available(True)
        self.update_interval = timedelta(seconds=self.poller.next_interval)
        if self.client.printer_info is not None and self.client.printer_info != self.info:
            self.info = self.client.printer_info
        self.changed_fields = changed_fields(self.data, state)
        return state

    async def _async_job_command(self, action: str) -> None:
        job_id = self.data.job_id if self.data else None
        match action:
            case "pause":
                await self.client.pause_job(job_id)
            case "resume":
                await self.client.resume_job(job_id)
            case _:
                await self.client.stop_job(job_id)
        self.poller.note_command()
        await self.async_request_refresh()

    @printer_command
    @override
    async def async_pause(self) -> None:
        await self._async_job_command("pause")

    @printer_command
    @override
    async def async_resume(self) -> None:
        await self._async_job_command("resume")

    @printer_command
    @override
    async def async_stop(self) -> None:
        await self._async_job_command("stop")

    @override
    def diagnostics(self) -> dict[str, Any]:
        return {
            "api_mode": self.client.api_mode.value,
            "auth_mode": self.client.auth_mode.value,
            "requests": self.client.request_count,
            "poll_interval": self.poller.next_interval,
            "failures": self.poller.failures,
            "version": self.client.version,
            "info": self.client.info,
            "ignored_values": self.poller.issues.count,
        }


async def async_create_prusa_coordinator(
    hass: HomeAssistant, entry: PrinternizerConfigEntry
) -> PrusaCoordinator:
    """Identify the printer and return its coordinator."""
    client = PrusaLinkClient(
        async_get_clientsession(hass),
        entry.data[CONF_HOST],
        entry.data[CONF_USERNAME],
        entry.data[CONF_PASSWORD],
        timeout=REQUEST_TIMEOUT,
    )
    with raise_setup_errors(entry):
        info = await client.get_printer_info()
    async_update_firmware_issue(
        hass,
        entry,
        client.api_mode is ApiMode.LEGACY,
        str(client.version.get("api")) if client.version else None,
    )
    return PrusaCoordinator(hass, entry, client, info)
