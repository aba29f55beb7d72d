"""Access to the published printer captures in ``../shared/protocol`` (beside the clone).

They are other projects' data: tests read them in place and never copy them into the repository.
Where the folder is absent (someone else's clone), the tests that need it are skipped with a reason.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any, Final

import pytest

SHARED_PROTOCOL: Final = Path(__file__).resolve().parents[2] / "shared" / "protocol"

requires_shared = pytest.mark.skipif(
    not SHARED_PROTOCOL.is_dir(),
    reason=f"published captures not found at {SHARED_PROTOCOL} (they live beside the clone in CI)",
)


def shared_files(subdir: str, pattern: str = "*") -> list[Path]:
    """Return the capture files below ``subdir`` matching ``pattern``, sorted (empty if absent)."""
    folder = SHARED_PROTOCOL / subdir
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.glob(pattern) if path.is_file())


def load_capture(path: Path) -> Any:
    """Load a JSON or JSONC capture (``//`` comments outside strings are stripped)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonc":
        text = re.sub(r'("(?:\\.|[^"\\])*")|//[^\n]*', lambda m: m.group(1) or "", text)
    return json.loads(text)
