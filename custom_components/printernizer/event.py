"""The ``print_job`` event entity of a printer: started, paused, resumed, finished, ..."""

from __future__ import annotations

from typing import override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import PrinternizerConfigEntry
from .entity import PrinternizerEntity
from .job_recorder import JobRecorder, recorder_for
from .jobs import ANNOUNCED_EVENT_TYPES, JobChange, job_to_dict

# Events come from the job recorder; nothing is polled or sent.
PARALLEL_UPDATES = 0

PRINT_JOB = EventEntityDescription(
    key="print_job",
    translation_key="print_job",
    event_types=[event_type.value for event_type in ANNOUNCED_EVENT_TYPES],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the job event entity of a printer."""
    async_add_entities([PrintJobEvent(recorder_for(hass, entry))])


class PrintJobEvent(PrinternizerEntity, EventEntity):
    """Fires when a job of the printer starts, pauses, resumes or ends."""

    _state_fields = frozenset()  # fired by the job recorder

    def __init__(self, recorder: JobRecorder) -> None:
        """Initialize for the printer of ``recorder``."""
        super().__init__(recorder.coordinator, PRINT_JOB)
        self._recorder = recorder

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self._recorder.async_add_listener(self._handle_job))

    @callback
    def _handle_job(self, change: JobChange) -> None:
        self._trigger_event(change.type.value, job_to_dict(change.job))
        self.async_write_ha_state()
