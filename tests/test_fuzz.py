"""Property tests: random and mutated real reports never break the parsers.

A longer run of the same properties: ``scripts/bench --fuzz 100000``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from tests.fuzz_cases import bambu_messages, check_bambu, check_prusa, json_values, prusa_bodies

FUZZ_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@FUZZ_SETTINGS
@given(st.lists(bambu_messages, min_size=1, max_size=5))
def test_bambu_tracker_never_raises(messages: list[Any]) -> None:
    """Any sequence of messages leaves a valid, in-range state."""
    check_bambu(messages)


@FUZZ_SETTINGS
@given(prusa_bodies, st.one_of(st.none(), json_values))
def test_prusa_parser_never_raises(status: Any, job: Any) -> None:
    """Any /api/v1/status and /api/v1/job bodies give a valid, in-range state."""
    check_prusa(status, job)
