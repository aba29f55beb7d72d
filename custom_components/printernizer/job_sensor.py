"""Sensors about the printer's last job, for dashboards: its status and its duration."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import UnitOfTime
from homeassistant.core import callback

from .entity import PrinternizerEntity
from .job_recorder import JobRecorder
from .jobs import END_STATUSES, Job, JobChange

type JobValue = str | float | None


@dataclass(frozen=True, kw_only=True)
class JobSensorEntityDescription(SensorEntityDescription):
    """Describes a sensor of the last job."""

    value_fn: Callable[[Job], JobValue]
    attributes_fn: Callable[[Job], Mapping[str, Any]] | None = None


def _job_attributes(job: Job) -> dict[str, Any]:
    return {
        "job_id": job.id,
        "file": job.file,
        "started": job.started.isoformat(),
        "ended": None if job.ended is None else job.ended.isoformat(),
        "progress": None if job.progress is None else round(job.progress, 1),
    }


JOB_SENSORS: tuple[JobSensorEntityDescription, ...] = (
    JobSensorEntityDescription(
        key="last_job_status",
        translation_key="last_job_status",
        device_class=SensorDeviceClass.ENUM,
        options=sorted(status.value for status in END_STATUSES),
        value_fn=lambda job: job.status.value,
        attributes_fn=_job_attributes,
    ),
    JobSensorEntityDescription(
        key="last_job_duration",
        translation_key="last_job_duration",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=0,
        value_fn=lambda job: None if job.duration is None else round(job.duration / 60, 1),
    ),
)


def job_sensors(recorder: JobRecorder) -> list[LastJobSensor]:
    """Return the last-job sensors of a printer."""
    return [LastJobSensor(recorder, description) for description in JOB_SENSORS]


class LastJobSensor(PrinternizerEntity, SensorEntity):
    """A value of the job that ended last; history stays known while the printer is away."""

    entity_description: JobSensorEntityDescription
    _unrecorded_attributes = frozenset({"job_id", "file", "started", "ended", "progress"})
    _state_fields = frozenset()  # updated by the job recorder

    def __init__(self, recorder: JobRecorder, description: JobSensorEntityDescription) -> None:
        """Initialize for the printer of ``recorder``."""
        super().__init__(recorder.coordinator, description)
        self._recorder = recorder

    @property
    @override
    def available(self) -> bool:
        """Return True: the last job is known from the history, printer or not."""
        return True

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self._recorder.async_add_listener(self._handle_job))

    @callback
    def _handle_job(self, change: JobChange) -> None:
        if change.job.status in END_STATUSES:
            self._handle_coordinator_update()

    @override
    def _update_from_state(self) -> object:
        job = self._recorder.last_job
        description = self.entity_description
        if job is None:
            self._attr_native_value = None
            self._attr_extra_state_attributes = {}
            return None
        self._attr_native_value = description.value_fn(job)
        attributes = description.attributes_fn(job) if description.attributes_fn else {}
        self._attr_extra_state_attributes = dict(attributes)
        return (self._attr_native_value, repr(sorted(attributes.items())))
