"""Job control buttons: pause, resume, stop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import override

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import PrinternizerConfigEntry, PrinternizerCoordinator
from .entity import PrinternizerEntity
from .printers.model import Capability, PrinterStatus

# Commands go to one printer at a time; the printer handles one job command at once.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class PrinternizerButtonEntityDescription(ButtonEntityDescription):
    """Describes a job control button."""

    press_fn: Callable[[PrinternizerCoordinator], Awaitable[None]]
    valid_in: frozenset[PrinterStatus]
    fields: frozenset[str] = frozenset({"status", "signed_commands_required"})
    """Printer states in which the printer accepts the command."""


BUTTONS: tuple[PrinternizerButtonEntityDescription, ...] = (
    PrinternizerButtonEntityDescription(
        key="pause",
        translation_key="pause",
        press_fn=lambda coordinator: coordinator.async_pause(),
        valid_in=frozenset({PrinterStatus.PRINTING, PrinterStatus.PREPARING}),
    ),
    PrinternizerButtonEntityDescription(
        key="resume",
        translation_key="resume",
        press_fn=lambda coordinator: coordinator.async_resume(),
        valid_in=frozenset({PrinterStatus.PAUSED, PrinterStatus.ATTENTION}),
    ),
    PrinternizerButtonEntityDescription(
        key="stop",
        translation_key="stop",
        press_fn=lambda coordinator: coordinator.async_stop(),
        valid_in=frozenset(
            {
                PrinterStatus.PRINTING,
                PrinterStatus.PREPARING,
                PrinterStatus.PAUSED,
                PrinterStatus.ATTENTION,
            }
        ),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the job control buttons of a printer."""
    coordinator = entry.runtime_data
    if not coordinator.supports(Capability.PAUSE_RESUME_STOP):
        return
    async_add_entities(PrinternizerButton(coordinator, description) for description in BUTTONS)


class PrinternizerButton(PrinternizerEntity, ButtonEntity):
    """A job control button, available only when the printer would accept it."""

    entity_description: PrinternizerButtonEntityDescription

    @property
    @override
    def available(self) -> bool:
        state = self.coordinator.data
        return (
            super().available
            and not state.signed_commands_required
            and state.status in self.entity_description.valid_in
        )

    @override
    def _update_from_state(self) -> object:
        return None

    @override
    async def async_press(self) -> None:
        await self.entity_description.press_fn(self.coordinator)
