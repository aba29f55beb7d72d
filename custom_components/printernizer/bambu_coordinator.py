"""Push updates from a Bambu Lab printer over its local MQTT connection."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import time
from typing import Any, Final, override

from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.storage import Store

from .const import (
    CONF_ACCESS_CODE,
    CONF_CERT_PIN,
    CONF_SERIAL,
    CONF_VERIFY_TLS,
    DOMAIN,
    LOGGER,
)
from .coordinator import PrinternizerConfigEntry, PrinternizerCoordinator, raise_setup_errors
from .helpers import printer_command
from .printers.bambu.client import DEFAULT_PORT, BambuClient
from .printers.bambu.hms import HMS_TEXT_URL, HmsTexts, fetch_hms_texts
from .printers.bambu.state import BambuStateTracker
from .printers.errors import (
    PinMismatchError,
    PrinterAuthError,
    PrinterClientError,
    PrinterConnectionError,
)
from .printers.model import PrinterState, SpeedProfile, Vendor
from .repairs import (
    async_create_pin_issue,
    async_update_tls_issue,
    pin_issue_id,
    signed_commands_issue_id,
)
from .validation import split_host_port

# Bambu's error texts change with firmware releases, rarely; one download a month per model and
# language is plenty, and without network the codes are shown without text.
HMS_TEXTS_MAX_AGE: Final = timedelta(days=30)
HMS_TEXTS_STORE_VERSION: Final = 1
hms_text_url = HMS_TEXT_URL


# A Bambu printer answers pushall within a second or two; entities are created from that first
# full report (which values the model has), so setup waits for it a little.
FIRST_REPORT_WAIT: Final = 10.0
# A Bambu printer pushes at least every few seconds while connected; 60 s of silence means the
# session is stuck (nudged with pushing.start, then reconnected).
WATCHDOG_TIMEOUT = 60.0


class BambuCoordinator(PrinternizerCoordinator):
    """Keeps the merged state of a Bambu Lab printer; the printer pushes, nothing polls."""

    vendor = Vendor.BAMBU

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PrinternizerConfigEntry,
        client: BambuClient,
        tracker: BambuStateTracker,
    ) -> None:
        """Initialize from a connected client and the state it reported so far."""
        super().__init__(hass, entry, tracker.info)
        self.client = client
        self.tracker = tracker
        client.on_message = self._handle_message
        client.on_connection_change = self._handle_connection
        client.on_error = self._handle_error
        self._signed_issue = False

    async def async_load_hms_texts(self) -> None:
        """Give the parser Bambu's error texts: from the cache, or downloaded when stale."""
        language = self.hass.config.language.split("-")[0]
        prefix = self.serial[:3].upper()
        store: Store[dict[str, Any]] = Store(
            self.hass, HMS_TEXTS_STORE_VERSION, f"{DOMAIN}.hms_texts_{prefix}_{language}"
        )
        cached = await store.async_load()
        texts = HmsTexts.from_dict(cached.get("texts")) if cached else None
        fresh = cached is not None and (
            time.time() - float(cached.get("fetched", 0)) < HMS_TEXTS_MAX_AGE.total_seconds()
        )
        if not fresh:
            try:
                texts = await fetch_hms_texts(
                    async_get_clientsession(self.hass),
                    self.serial,
                    language,
                    base_url=hms_text_url,
                )
            except PrinterConnectionError as err:
                LOGGER.debug("Bambu error texts not available (%s); showing codes only", err)
            else:
                await store.async_save({"fetched": time.time(), "texts": texts.to_dict()})
        if texts is not None:
            self.tracker.hms_texts = texts
            self.async_set_state(self.tracker.state)

    @override
    async def _async_update_data(self) -> PrinterState:
        """Return what the printer pushed so far (only used for the first refresh)."""
        return self.tracker.state

    @callback
    def _handle_message(self, message: dict[str, Any]) -> None:
        """Merge a report; tell the entities only when the normalized state changed."""
        tracker = self.tracker
        before = tracker.state
        if not tracker.apply(message):
            return
        if tracker.info != self.info:
            self._update_info()
        state = tracker.state
        if state.signed_commands_required != self._signed_issue:
            self._update_signed_issue(state.signed_commands_required)
        # The tracker knows what a delta changed when the entities last saw its previous state.
        self.async_set_state(state, tracker.changed_fields if self.data is before else None)

    def _update_info(self) -> None:
        """Follow a firmware update or a late get_version answer on the device page."""
        self.info = self.tracker.info
        if self.device_id is not None:
            dr.async_get(self.hass).async_update_device(
                self.device_id,
                model=self.info.model,
                model_id=self.info.model_id,
                sw_version=self.info.firmware,
                hw_version=self.info.hardware,
            )

    def _update_signed_issue(self, required: bool) -> None:
        self._signed_issue = required
        issue_id = signed_commands_issue_id(self.config_entry)
        if required:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="signed_commands_required",
                translation_placeholders={"printer": self.printer_name},
                learn_more_url="https://wiki.bambulab.com/en/knowledge-sharing/enable-lan-mode",
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    @callback
    def _handle_connection(self, connected: bool) -> None:
        """Follow the MQTT connection: entities are unavailable while it is down."""
        self.set_available(connected)
        if self.last_update_success != connected:
            self.last_update_success = connected
            self.async_update_listeners()

    @callback
    def _handle_error(self, err: PrinterClientError) -> None:
        """Stop retrying what retrying cannot fix, and tell the user."""
        if isinstance(err, PinMismatchError):
            LOGGER.warning(
                "%s presented a different certificate; not connecting", self.printer_name
            )
            async_create_pin_issue(self.hass, self.config_entry, err)
            self.config_entry.async_create_background_task(
                self.hass, self.client.stop(), "printernizer stop after pin mismatch"
            )
        elif isinstance(err, PrinterAuthError):
            self.config_entry.async_start_reauth(self.hass)
            self.config_entry.async_create_background_task(
                self.hass, self.client.stop(), "printernizer stop after auth failure"
            )

    @printer_command
    @override
    async def async_pause(self) -> None:
        await self.client.pause()

    @printer_command
    @override
    async def async_resume(self) -> None:
        await self.client.resume()

    @printer_command
    @override
    async def async_stop(self) -> None:
        await self.client.stop_print()

    @printer_command
    @override
    async def async_set_speed_profile(self, profile: SpeedProfile) -> None:
        await self.client.set_speed_profile(profile)

    @printer_command
    @override
    async def async_set_chamber_light(self, on: bool) -> None:
        await self.client.set_light(on)

    @printer_command
    @override
    async def async_set_nozzle_target(self, temperature: float) -> None:
        await self.client.set_nozzle_temperature(temperature)

    @printer_command
    @override
    async def async_set_bed_target(self, temperature: float) -> None:
        await self.client.set_bed_temperature(temperature)

    @printer_command
    @override
    async def async_send_gcode(self, gcode: str) -> None:
        await self.client.send_gcode(gcode)

    @override
    async def async_shutdown(self) -> None:
        await super().async_shutdown()
        await self.client.stop()

    @override
    def diagnostics(self) -> dict[str, Any]:
        return {
            "connection": self.client.diagnostics(),
            "parser": self.tracker.diagnostics(),
            "raw": self.tracker.raw,
        }


async def async_create_bambu_coordinator(
    hass: HomeAssistant, entry: PrinternizerConfigEntry
) -> BambuCoordinator:
    """Connect to the printer, wait for its first report and return its coordinator."""
    host, port = split_host_port(entry.data[CONF_HOST], DEFAULT_PORT)
    verify = entry.options.get(CONF_VERIFY_TLS, True)
    async_update_tls_issue(hass, entry, verify)
    tracker = BambuStateTracker(entry.data[CONF_SERIAL])
    first_report = asyncio.Event()

    def collect(message: dict[str, object]) -> None:
        tracker.apply(message)
        if "print" in message:
            first_report.set()

    client = BambuClient(
        host,
        entry.data[CONF_SERIAL],
        entry.data[CONF_ACCESS_CODE],
        port=port,
        pin=entry.data.get(CONF_CERT_PIN) if verify else None,
        verify=verify,
        on_message=collect,
        watchdog_timeout=WATCHDOG_TIMEOUT,
    )
    with raise_setup_errors(entry):
        try:
            await client.connect()
        except PinMismatchError as err:
            async_create_pin_issue(hass, entry, err)
            raise ConfigEntryError(
                translation_domain=DOMAIN,
                translation_key="pin_mismatch",
                translation_placeholders={"printer": entry.title, "error": str(err)},
            ) from err
    ir.async_delete_issue(hass, DOMAIN, pin_issue_id(entry))
    try:
        async with asyncio.timeout(FIRST_REPORT_WAIT):
            await first_report.wait()
    except TimeoutError:
        # Set up from what is known; entities that need a report appear after a reload.
        pass
    coordinator = BambuCoordinator(hass, entry, client, tracker)
    await client.start()
    entry.async_create_background_task(
        hass, coordinator.async_load_hms_texts(), f"{DOMAIN} error texts {entry.title}"
    )
    return coordinator
