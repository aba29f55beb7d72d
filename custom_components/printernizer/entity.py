"""Base entity of the Printernizer integration."""

from __future__ import annotations

from typing import ClassVar, override

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import BaseCoordinatorEntity, CoordinatorEntity

from .coordinator import PrinternizerCoordinator

_UNSET: object = object()


class PrinternizerEntity(CoordinatorEntity[PrinternizerCoordinator]):
    """An entity of one printer.

    Bambu printers push a report about once a second while printing, and most of them change a
    single value. Each entity therefore works out what it would show and writes its state only
    when that differs from what it wrote last.
    """

    _attr_has_entity_name = True
    # The PrinterState fields shown when the description does not say (None: all of them).
    _state_fields: ClassVar[frozenset[str] | None] = None

    def __init__(
        self,
        coordinator: PrinternizerCoordinator,
        description: EntityDescription,
        *,
        device_info: DeviceInfo | None = None,
        unique_key: str | None = None,
    ) -> None:
        """Initialize the entity from its description."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.serial}_{unique_key or description.key}"
        self._attr_device_info = device_info or coordinator.device_info
        self._written: object = _UNSET
        # The PrinterState fields this entity shows; None: recompute on every update.
        self._fields: frozenset[str] | None = getattr(description, "fields", None)
        if self._fields is None:
            self._fields = self._state_fields

    @property
    def printer_name(self) -> str:
        """Return the printer's name for error messages."""
        return self.coordinator.printer_name

    def _update_from_state(self) -> object:
        """Set the entity's attributes from the coordinator data; return what is shown."""
        return None

    @override
    async def async_added_to_hass(self) -> None:
        """Compute the first state; listen only to the fields shown, where they are known."""
        self._written = (self.available, self._update_from_state())
        if self._fields is None:
            await super().async_added_to_hass()
            return
        # The coordinator entity base would listen to every update; register by field instead.
        await super(BaseCoordinatorEntity, self).async_added_to_hass()
        self.async_on_remove(
            self.coordinator.async_add_field_listener(self._fields, self._handle_coordinator_update)
        )

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Write the state only when what the entity shows changed."""
        available = self.available
        shown = (available, self._update_from_state())
        if shown != self._written:
            self._written = shown
            self.async_write_ha_state()
