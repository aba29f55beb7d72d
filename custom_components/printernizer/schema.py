"""The schema library of the running Home Assistant.

Home Assistant 2026.10 validates with probatio, a drop-in successor of voluptuous; earlier
releases (down to our minimum, 2026.8) only have voluptuous. Both offer the same API.
"""

from __future__ import annotations

try:
    import probatio as vol
except ImportError:  # pragma: no cover - Home Assistant before 2026.10
    import voluptuous as vol  # type: ignore[no-redef]

__all__ = ["vol"]
