"""A delta re-derives only the fields its keys feed, and the result always equals the full parse.

Each check feeds the same messages to two trackers on the same clock: one takes the incremental
path for deltas, the other re-parses the whole merged report for every message.
"""

from __future__ import annotations

from collections.abc import Iterable
import dataclasses
from datetime import UTC, datetime, timedelta
import json
import random
from typing import Any, Final
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.printernizer.printers.bambu import state as state_module
from custom_components.printernizer.printers.bambu.parser import (
    DELTA_GROUPS,
    UNREAD_KEYS,
    parse_state,
)
from custom_components.printernizer.printers.bambu.reader import ParseContext
from custom_components.printernizer.printers.bambu.state import BambuStateTracker
from custom_components.printernizer.printers.model import PrinterState
from tests.fuzz_cases import BAMBU_REPORTS, json_values, mutated
from tests.simulators.bambu.printer import SimulatedPrinter
from tests.simulators.bambu.profiles import PROFILES
from tests.simulators.bambu.replay import Replay, initial_report
from tests.simulators.bambu.simulator import BambuSimulator

SERIAL: Final = "00M09A9A2700472"
START: Final = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
COMPARED: Final = tuple(field.name for field in dataclasses.fields(PrinterState) if field.compare)
# Keys a delta may carry: the ones with a fast path, the unread ones, and some that force the
# full parse (job state, identity, filament).
DELTA_KEYS: Final = sorted(
    {*DELTA_GROUPS, *UNREAD_KEYS, "gcode_state", "print_error", "subtask_name", "ams", "vt_tray"}
)


class Pair:
    """An incremental tracker and a full-parse tracker fed the same messages."""

    def __init__(self) -> None:
        """Start both on the same clock."""
        self.now = START
        self.incremental = BambuStateTracker(SERIAL, clock=lambda: self.now)
        self.full = BambuStateTracker(SERIAL, clock=lambda: self.now)
        self.deltas = 0

    def apply(self, message: Any) -> None:
        """Apply a message to both a second later than the last; check they agree."""
        self.now += timedelta(seconds=1)
        before = self.incremental.state
        with patch.object(state_module, "parse_delta", wraps=state_module.parse_delta) as spy:
            changed = self.incremental.apply(json.loads(json.dumps(message)))
        self.deltas += spy.call_count
        with patch.object(state_module, "parse_delta", return_value=None):
            self.full.apply(json.loads(json.dumps(message)))
        after = self.incremental.state
        assert after == self.full.state
        assert after.extra == self.full.state.extra
        differing = {name for name in COMPARED if getattr(before, name) != getattr(after, name)}
        known = self.incremental.changed_fields
        if known is not None:
            assert known == differing
            assert changed == bool(differing)


def _replayed(seconds: int, rng: random.Random) -> Iterable[dict[str, Any]]:
    replay = Replay(seconds, rng)
    for _ in range(2 * seconds + 5):  # two prints: prepare, run, finish
        yield replay.delta()


async def test_replayed_print_matches_the_full_parse() -> None:
    """The bench's replayed print (capture-based deltas, about one a second) agrees throughout."""
    simulator = BambuSimulator("X1C", host="127.0.0.1")
    pair = Pair()
    pair.apply(initial_report(simulator))
    for message in _replayed(60, random.Random(7)):
        pair.apply(message)
    assert pair.deltas >= 100  # nearly every message took the incremental path


def _delta(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(DELTA_KEYS), min_size=1, max_size=5, unique=True))
    body: dict[str, Any] = {"command": "push_status", "msg": 1}
    source = draw(mutated(base))
    for key in keys:
        if key in source and draw(st.booleans()):
            body[key] = source[key]
        else:
            body[key] = draw(json_values)
    return {"print": body}


@st.composite
def report_and_deltas(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Return a real (or simulated) full report followed by deltas derived from it."""
    report = draw(st.sampled_from(BAMBU_REPORTS))
    base = report["print"]
    deltas = [_delta(draw, base) for _ in range(draw(st.integers(1, 8)))]
    return [report, *deltas]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages=report_and_deltas())
def test_random_deltas_match_the_full_parse(messages: list[dict[str, Any]]) -> None:
    """Deltas of any keys and values (real, mutated or random) give what the full parse gives."""
    pair = Pair()
    for message in messages:
        pair.apply(message)


@pytest.mark.parametrize("index", range(len(BAMBU_REPORTS)))
def test_unread_keys_do_not_change_the_state(index: int) -> None:
    """Whatever the keys the fast path skips hold, the full parse result stays the same."""
    raw = json.loads(json.dumps(BAMBU_REPORTS[index]["print"]))
    context = ParseContext(now=START)
    reference = parse_state(raw, context)
    for garbage in ("junk", -1, {"id": 0, "state": 1}, [1, {"id": 2}], None):
        changed = {**raw, **dict.fromkeys(UNREAD_KEYS, garbage)}
        parsed = parse_state(changed, context)
        assert parsed == reference
        assert parsed.extra == reference.extra


def test_fast_path_keys_are_not_unread() -> None:
    """A key is either skipped or fed to a field group, never both."""
    assert not UNREAD_KEYS & DELTA_GROUPS.keys()


def test_simulator_profiles_take_the_fast_path_for_their_deltas() -> None:
    """Temperature and progress deltas of every simulated model need no full parse."""
    for profile in PROFILES.values():
        pair = Pair()
        pair.apply(SimulatedPrinter(profile, SERIAL).full_report())
        pair.apply(
            {
                "print": {
                    "command": "push_status",
                    "msg": 1,
                    "nozzle_temper": 215.0,
                    "mc_percent": 12,
                    "mc_remaining_time": 30,
                    "mc_print_line_number": "1234",
                }
            }
        )
        assert pair.deltas == 1
        assert pair.incremental.changed_fields is not None
