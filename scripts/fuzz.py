"""Long fuzz run of the report parsers (the properties of tests/test_fuzz.py, many more cases).

Usage: ``.venv/bin/python scripts/fuzz.py 100000`` (or ``scripts/bench --fuzz 100000``). Prints
the number of cases run per parser and exits non-zero on the first failing case.
"""

from __future__ import annotations

from pathlib import Path
import sys
import time
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from tests.fuzz_cases import (  # noqa: E402
    bambu_messages,
    check_bambu,
    check_prusa,
    json_values,
    prusa_bodies,
)


def run(cases: int) -> dict[str, int]:
    """Run ``cases`` examples against each parser; return how many ran."""
    counts = {"bambu": 0, "prusa": 0}
    options = settings(
        max_examples=cases,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )

    @options
    @given(st.lists(bambu_messages, min_size=1, max_size=5))
    def bambu(messages: list[Any]) -> None:
        counts["bambu"] += 1
        check_bambu(messages)

    @options
    @given(prusa_bodies, st.one_of(st.none(), json_values))
    def prusa(status: Any, job: Any) -> None:
        counts["prusa"] += 1
        check_prusa(status, job)

    bambu()
    prusa()
    return counts


def main() -> int:
    """Run and print the counts."""
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    start = time.monotonic()
    counts = run(cases)
    seconds = time.monotonic() - start
    print(f"fuzz: {counts['bambu']} Bambu cases, {counts['prusa']} PrusaLink cases, no failure")
    print(f"fuzz: {sum(counts.values())} cases in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
