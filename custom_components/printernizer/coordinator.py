"""The coordinator every printer has, whatever its vendor."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
import dataclasses
from datetime import timedelta
import itertools
from typing import TYPE_CHECKING, Any, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    ServiceValidationError,
)
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .const import DOMAIN, LOGGER, MANUFACTURERS
from .printers.errors import PrinterAuthError, PrinterClientError
from .printers.model import Capability, PrinterInfo, PrinterState, SpeedProfile, Vendor

if TYPE_CHECKING:
    from .files import JobFileInfo, PrinterFiles

type PrinternizerConfigEntry = ConfigEntry[PrinternizerCoordinator]

_COMPARED_FIELDS = tuple(field.name for field in dataclasses.fields(PrinterState) if field.compare)


_REGISTRATIONS = itertools.count()


@callback
def _ignore() -> None:
    """Do nothing (a placeholder listener)."""


# A field listener: its registration number (entities update in the order they were added) and
# the entity's callback.
type _FieldListener = tuple[int, CALLBACK_TYPE]


@contextmanager
def raise_setup_errors(entry: ConfigEntry) -> Iterator[None]:
    """Turn the client errors of a printer's first contact into Home Assistant's setup errors."""
    try:
        yield
    except PrinterAuthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="invalid_auth",
            translation_placeholders={"printer": entry.title, "error": str(err)},
        ) from err
    except PrinterClientError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"printer": entry.title, "error": str(err)},
        ) from err


def changed_fields(old: PrinterState | None, new: PrinterState) -> frozenset[str] | None:
    """Return the names of the state fields that differ (None: treat everything as changed)."""
    if old is None:
        return None
    return frozenset(name for name in _COMPARED_FIELDS if getattr(old, name) != getattr(new, name))


class PrinternizerCoordinator(DataUpdateCoordinator[PrinterState]):
    """Keeps one printer's normalized state; the vendor subclasses talk to the printer."""

    config_entry: PrinternizerConfigEntry
    vendor: Vendor

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PrinternizerConfigEntry,
        info: PrinterInfo,
        *,
        update_interval: timedelta | None = None,
    ) -> None:
        """Initialize the coordinator for a printer whose identity is known."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=update_interval,
            always_update=False,
        )
        self.info = info
        # Set once the printer's device is registered; AMS units hang below it.
        self.device_id: str | None = None
        # Logged once when the printer goes away and once when it returns.
        self._unavailable_logged = False
        # What the update being dispatched changed; entities that depend on none of it are not
        # called at all. None means "anything may have changed".
        self.changed_fields: frozenset[str] | None = None
        # Listeners by the field they watch, and all of them in the order they came.
        self._field_index: dict[str, list[_FieldListener]] = {}
        self._field_listeners: list[_FieldListener] = []
        self._remove_plain: CALLBACK_TYPE | None = None
        self._dispatched_available: bool | None = None
        # Files, job pictures and metadata (set up by __init__: files.create_printer_files).
        self.files: PrinterFiles | None = None

    @callback
    def async_set_state(self, state: PrinterState, changed: frozenset[str] | None = None) -> None:
        """Publish a new state, telling the entities which fields changed (compared if not given)."""
        self.changed_fields = changed if changed is not None else changed_fields(self.data, state)
        self.async_set_updated_data(state)

    @callback
    def async_add_field_listener(
        self, fields: frozenset[str], update_callback: CALLBACK_TYPE
    ) -> CALLBACK_TYPE:
        """Listen for updates that change any of ``fields`` (and for every full update).

        A Bambu printer pushes about once a second and most reports change one value; calling
        only the entities that show it keeps the per-message cost flat in the number of entities.
        """
        if self._remove_plain is None:
            # One plain listener keeps the coordinator polling while field listeners exist.
            self._remove_plain = self.async_add_listener(_ignore)
        listener = (next(_REGISTRATIONS), update_callback)
        self._field_listeners.append(listener)
        for name in fields:
            self._field_index.setdefault(name, []).append(listener)

        @callback
        def remove() -> None:
            self._field_listeners.remove(listener)
            for name in fields:
                watchers = self._field_index[name]
                watchers.remove(listener)
                if not watchers:
                    del self._field_index[name]
            if not self._field_listeners and self._remove_plain is not None:
                self._remove_plain()
                self._remove_plain = None

        return remove

    @callback
    @override
    def async_update_listeners(self) -> None:
        """Dispatch to the listeners; afterwards nothing is known about the next update."""
        changed = self.changed_fields
        if self.last_update_success is not self._dispatched_available:
            # Availability changed: every entity has something new to show.
            changed = None
            self._dispatched_available = self.last_update_success
        try:
            super().async_update_listeners()
            if changed is None:
                due = list(self._field_listeners)
            else:
                index = self._field_index
                due = sorted({listener for name in changed for listener in index.get(name, ())})
            for _registration, update_callback in due:
                update_callback()
        finally:
            self.changed_fields = None

    @property
    def serial(self) -> str:
        """Return the printer's serial number (the base of every unique id)."""
        return self.info.serial

    @property
    def printer_name(self) -> str:
        """Return the name the user knows the printer by."""
        return self.config_entry.title

    def supports(self, capability: Capability) -> bool:
        """Return whether the printer has a capability."""
        return bool(self.info.capabilities & capability)

    @property
    def device_info(self) -> DeviceInfo:
        """Return the device registry entry of the printer."""
        info = self.info
        device = DeviceInfo(
            identifiers={(DOMAIN, info.serial)},
            manufacturer=MANUFACTURERS[info.vendor],
            model=info.model,
            model_id=info.model_id,
            name=self.config_entry.title,
            serial_number=info.serial,
            sw_version=info.firmware,
            hw_version=info.hardware,
        )
        if info.vendor is Vendor.PRUSA:
            device["configuration_url"] = f"http://{self.config_entry.data[CONF_HOST]}"
        return device

    def set_available(self, available: bool) -> None:
        """Mark the printer reachable or not, logging each change once."""
        if not available and not self._unavailable_logged:
            LOGGER.info("%s is unavailable", self.printer_name)
            self._unavailable_logged = True
        elif available and self._unavailable_logged:
            LOGGER.info("%s is back online", self.printer_name)
            self._unavailable_logged = False

    async def async_job_file_info(self) -> JobFileInfo | None:
        """Return metadata (filament g, estimated time, cost) and picture of the job's file."""
        if self.files is None:
            return None
        return await self.files.async_job_file_info(self.data)

    def diagnostics(self) -> dict[str, Any]:
        """Return vendor details for the diagnostics download."""
        return {}

    def _unsupported(self) -> ServiceValidationError:
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_supported",
            translation_placeholders={"printer": self.printer_name},
        )

    @abstractmethod
    async def async_pause(self) -> None:
        """Pause the running job."""

    @abstractmethod
    async def async_resume(self) -> None:
        """Resume the paused job."""

    @abstractmethod
    async def async_stop(self) -> None:
        """Stop (cancel) the job."""

    async def async_set_speed_profile(self, profile: SpeedProfile) -> None:
        """Change the print speed profile."""
        raise self._unsupported()

    async def async_set_chamber_light(self, on: bool) -> None:
        """Switch the chamber light."""
        raise self._unsupported()

    async def async_set_nozzle_target(self, temperature: float) -> None:
        """Set the nozzle target temperature."""
        raise self._unsupported()

    async def async_set_bed_target(self, temperature: float) -> None:
        """Set the bed target temperature."""
        raise self._unsupported()

    async def async_send_gcode(self, gcode: str) -> None:
        """Send G-code lines to the printer."""
        raise self._unsupported()

    async def async_shutdown(self) -> None:
        """Close the connection to the printer."""
        await super().async_shutdown()
