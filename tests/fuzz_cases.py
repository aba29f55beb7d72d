"""Property checks shared by the fuzz tests and the long fuzz run (``scripts/bench --fuzz N``).

Inputs are random JSON and mutations of real reports: the published captures beside the clone
when they are there, else our simulators' own reports. The properties: the parsers never raise,
and every value they produce is in its range.
"""

from __future__ import annotations

from datetime import UTC, datetime
import json
from typing import Any

from hypothesis import strategies as st

from custom_components.printernizer.printers.bambu.state import BambuStateTracker
from custom_components.printernizer.printers.model import PrinterState
from custom_components.printernizer.printers.prusa.parser import (
    parse_job,
    parse_legacy,
    parse_status,
)
from tests.shared import load_capture, shared_files
from tests.simulators.bambu.printer import SimulatedPrinter
from tests.simulators.bambu.profiles import PROFILES

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


def _bambu_reports() -> list[dict[str, Any]]:
    reports = []
    for path in shared_files("bambu/report"):
        data = load_capture(path)
        reports.append(data if "print" in data else {"print": data})
    reports.extend(
        SimulatedPrinter(profile, "00M00A000000001").full_report() for profile in PROFILES.values()
    )
    return reports


def _prusa_statuses() -> list[Any]:
    bodies: list[Any] = [
        load_capture(path) for path in shared_files("prusalink/responses", "*status*")
    ]
    bodies.append(
        {
            "printer": {"state": "PRINTING", "temp_nozzle": 215.2, "target_nozzle": 215},
            "job": {"id": 7, "progress": 42, "time_remaining": 1200, "time_printing": 600},
        }
    )
    return bodies


BAMBU_REPORTS = _bambu_reports()
PRUSA_STATUSES = _prusa_statuses()


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """Return ``base`` with a few leaves replaced, keys deleted or types swapped."""
    value = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        container = value
        path_length = draw(st.integers(min_value=0, max_value=4))
        for _ in range(path_length):
            if isinstance(container, dict) and container:
                key = draw(st.sampled_from(sorted(container, key=str)))
                if isinstance(container[key], dict | list):
                    container = container[key]
            elif isinstance(container, list) and container:
                index = draw(st.integers(min_value=0, max_value=len(container) - 1))
                if isinstance(container[index], dict | list):
                    container = container[index]
        if isinstance(container, dict) and container:
            key = draw(st.sampled_from(sorted(container, key=str)))
            if draw(st.booleans()):
                del container[key]
            else:
                container[key] = draw(json_values)
        elif isinstance(container, list) and container:
            container[draw(st.integers(0, len(container) - 1))] = draw(json_values)
    return value


bambu_messages = st.one_of(
    json_values,
    st.builds(lambda body: {"print": body}, json_values),
    st.sampled_from(BAMBU_REPORTS).flatmap(mutated),
)
prusa_bodies = st.one_of(json_values, st.sampled_from(PRUSA_STATUSES).flatmap(mutated))


def _in(value: float | None, low: float, high: float) -> bool:
    return value is None or low <= value <= high


def check_state(state: PrinterState) -> None:
    """Assert every value of a normalized state is in its range."""
    assert _in(state.progress, 0, 100), state.progress
    assert _in(state.remaining_time, 0, 100_000), state.remaining_time
    for temperature in (
        state.nozzle_temperature,
        state.nozzle_target_temperature,
        state.bed_temperature,
        state.bed_target_temperature,
        state.chamber_temperature,
    ):
        assert _in(temperature, -50, 600), temperature
    for fan in (state.part_fan_speed, state.aux_fan_speed, state.chamber_fan_speed):
        assert _in(fan, 0, 100), fan
    assert _in(state.print_speed, 0, 1000), state.print_speed
    assert _in(state.current_layer, 0, 1_000_000), state.current_layer
    assert _in(state.total_layers, 0, 1_000_000), state.total_layers
    assert _in(state.wifi_signal, -150, 0), state.wifi_signal
    for slot in state.slots:
        assert _in(slot.remaining, 0, 100), slot.remaining
    for moment in (state.job_start, state.job_end):
        assert moment is None or moment.tzinfo is not None


def check_bambu(messages: list[Any]) -> None:
    """Feed messages to a tracker: it never raises and its state stays in range."""
    tracker = BambuStateTracker("00M00A000000001", clock=lambda: NOW)
    for message in messages:
        tracker.apply(message)
        check_state(tracker.state)
    json.dumps(tracker.diagnostics(), default=str)


def check_prusa(status: Any, job: Any) -> None:
    """Parse a status (and a job, and the legacy shapes): never raises, values in range."""
    state = parse_status(status, now=NOW, job=parse_job(job))
    check_state(state)
    check_state(parse_status(status, previous=state, now=NOW))
    check_state(parse_legacy(status, job, now=NOW))
