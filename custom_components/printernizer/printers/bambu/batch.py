"""Read many printer connections together instead of waking the event loop for each message.

While printing, every Bambu printer pushes a report about once a second, each at its own moment.
Reading each socket when it becomes readable wakes Home Assistant's event loop once per message, and
on small hosts (and in virtual machines) a wake-up from idle costs more CPU than handling the
message itself. A farm's sockets are therefore watched through one selector: the first message after
a quiet spell is read at once, and messages arriving within :data:`BATCH_INTERVAL` of the last read
wait for one shared read a moment later (one or two wake-ups per interval, however many printers).
A single printer is read as soon as its message arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
import math
import selectors
from typing import Final
import weakref

_LOGGER = logging.getLogger(__name__)

BATCH_INTERVAL: Final = 0.25
"""Longest a message waits for the next shared read (seconds)."""

_BATCHERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ReadBatcher] = (
    weakref.WeakKeyDictionary()
)


def next_tick(now: float, interval: float) -> float:
    """Return the next multiple of ``interval`` after ``now``.

    Periodic timers of all printers that use the same grid fire in the same loop iteration.
    """
    return (math.floor(now / interval) + 1) * interval


class ReadBatcher:
    """Calls the read callback of every readable registered socket, at most once per interval."""

    def __init__(self, loop: asyncio.AbstractEventLoop, selector: selectors.BaseSelector) -> None:
        """Watch sockets through ``selector``, whose own descriptor ``loop`` watches."""
        self._loop = loop
        self._selector = selector
        self._fd: int = selector.fileno()  # type: ignore[attr-defined]
        self._watching = False
        self._timer: asyncio.TimerHandle | None = None
        self._last_read = -math.inf

    @classmethod
    def for_loop(cls, loop: asyncio.AbstractEventLoop) -> ReadBatcher | None:
        """Return the loop's batcher (None where the platform's selector cannot be nested)."""
        batcher = _BATCHERS.get(loop)
        if batcher is None:
            selector = selectors.DefaultSelector()
            if not hasattr(selector, "fileno"):
                selector.close()
                return None
            batcher = _BATCHERS[loop] = cls(loop, selector)
        return batcher

    def add(self, sock: object, callback: Callable[[], None]) -> None:
        """Call ``callback`` (in the loop) when ``sock`` has data."""
        self._selector.register(sock, selectors.EVENT_READ, callback)  # type: ignore[arg-type]
        if not self._watching and self._timer is None:
            self._watch()

    def remove(self, sock: object) -> None:
        """Stop watching ``sock``; close the selector when nothing is left to watch."""
        try:
            self._selector.unregister(sock)  # type: ignore[arg-type]
        except KeyError, ValueError:
            return
        if self._selector.get_map():
            return
        if self._watching:
            self._loop.remove_reader(self._fd)
            self._watching = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._selector.close()
        _BATCHERS.pop(self._loop, None)

    def _watch(self) -> None:
        self._loop.add_reader(self._fd, self._ready)
        self._watching = True

    def _ready(self) -> None:
        """Read now, or together with the others at the end of the interval."""
        now = self._loop.time()
        due = self._last_read + BATCH_INTERVAL
        if now >= due:
            self._read(now)
            return
        # Read together with whatever else arrives until the interval is over.
        self._loop.remove_reader(self._fd)
        self._watching = False
        self._timer = self._loop.call_at(due, self._tick)

    def _tick(self) -> None:
        self._timer = None
        self._read(self._loop.time())
        if self._selector.get_map():
            self._watch()

    def _read(self, now: float) -> None:
        self._last_read = now
        for key, _events in self._selector.select(0):
            try:
                key.data()
            except Exception:
                # One connection's failure must not stop the others from being read.
                _LOGGER.exception("Error reading a printer connection")
