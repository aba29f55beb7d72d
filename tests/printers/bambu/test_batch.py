"""Shared, throttled reading of many printer connections (at the real interval)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import selectors
import socket

import pytest

from custom_components.printernizer.printers.bambu import batch
from custom_components.printernizer.printers.bambu.batch import ReadBatcher, next_tick
from tests.printers.bambu.test_client import ClientFactory, recorded, wait_until
from tests.simulators.bambu.simulator import BambuSimulator

INTERVAL = 0.25


@pytest.fixture(autouse=True)
def real_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo the suite's scaled-down interval."""
    monkeypatch.setattr(batch, "BATCH_INTERVAL", INTERVAL)


class Peer:
    """One end of a socket pair watched by the batcher; the test writes to the other."""

    def __init__(self, batcher: ReadBatcher, reads: list[tuple[str, float]], name: str) -> None:
        """Register the reading end."""
        self.ours, self.theirs = socket.socketpair()
        self.ours.setblocking(False)
        loop = asyncio.get_running_loop()

        def read() -> None:
            self.ours.recv(4096)
            reads.append((name, loop.time()))

        batcher.add(self.ours, read)

    def close(self, batcher: ReadBatcher) -> None:
        """Unregister and close both ends."""
        batcher.remove(self.ours)
        self.ours.close()
        self.theirs.close()


@pytest.fixture
def reads() -> list[tuple[str, float]]:
    """Collect (peer, loop time) of every read."""
    return []


@pytest.fixture
async def peers(
    reads: list[tuple[str, float]],
) -> AsyncIterator[tuple[ReadBatcher, list[Peer]]]:
    """Return the loop's batcher and three watched socket pairs."""
    batcher = ReadBatcher.for_loop(asyncio.get_running_loop())
    assert batcher is not None
    made = [Peer(batcher, reads, name) for name in "abc"]
    yield batcher, made
    for peer in made:
        peer.close(batcher)


async def test_first_message_after_quiet_is_read_at_once(
    peers: tuple[ReadBatcher, list[Peer]], reads: list[tuple[str, float]]
) -> None:
    """A lone printer's report is handled without waiting."""
    _batcher, (first, *_rest) = peers
    loop = asyncio.get_running_loop()
    sent = loop.time()
    first.theirs.send(b"report")
    await wait_until(lambda: len(reads) == 1)
    assert reads[0][0] == "a"
    assert reads[0][1] - sent < INTERVAL / 2


async def test_messages_within_the_interval_are_read_together(
    peers: tuple[ReadBatcher, list[Peer]], reads: list[tuple[str, float]]
) -> None:
    """Reports arriving right after a read wait for one shared read at the end of the interval."""
    _batcher, (first, second, third) = peers
    first.theirs.send(b"1")
    await wait_until(lambda: len(reads) == 1)
    second.theirs.send(b"2")
    await asyncio.sleep(0.02)
    third.theirs.send(b"3")
    await asyncio.sleep(0.05)
    assert len(reads) == 1  # both wait
    await wait_until(lambda: len(reads) == 3)
    (_, at_first), (_, at_second), (_, at_third) = reads
    assert {reads[1][0], reads[2][0]} == {"b", "c"}
    assert abs(at_second - at_third) < 0.005  # one wake-up for both
    assert at_second - at_first >= INTERVAL - 0.01


async def test_last_socket_removed_closes_the_selector(
    peers: tuple[ReadBatcher, list[Peer]], reads: list[tuple[str, float]]
) -> None:
    """With nothing left to watch, the batcher stops (a pending shared read is cancelled)."""
    batcher, made = peers
    made[0].theirs.send(b"1")
    await wait_until(lambda: len(reads) == 1)
    made[1].theirs.send(b"2")
    await asyncio.sleep(0.02)  # the shared read is now scheduled
    for peer in made:
        peer.close(batcher)
    made.clear()
    await asyncio.sleep(INTERVAL + 0.05)
    assert len(reads) == 1
    loop = asyncio.get_running_loop()
    assert ReadBatcher.for_loop(loop) is not batcher
    own, other = socket.socketpair()
    batcher.remove(own)  # unknown sockets are ignored
    fresh = ReadBatcher.for_loop(loop)
    assert fresh is not None
    fresh.remove(own)  # never added
    fresh.add(own, lambda: None)
    fresh.remove(own)
    own.close()
    other.close()


async def test_a_failing_reader_does_not_stop_the_others(
    peers: tuple[ReadBatcher, list[Peer]],
    reads: list[tuple[str, float]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A connection whose read raises is logged; the rest of the farm is still read."""
    batcher, (first, second, _third) = peers

    def broken() -> None:
        first.ours.recv(4096)
        raise RuntimeError("boom")

    batcher.remove(first.ours)
    batcher.add(first.ours, broken)
    first.theirs.send(b"1")
    second.theirs.send(b"2")
    await wait_until(lambda: len(reads) == 1)
    assert reads[0][0] == "b"
    assert "Error reading a printer connection" in caplog.text
    second.theirs.send(b"3")
    await wait_until(lambda: len(reads) == 2)


def test_no_batcher_without_a_nestable_selector(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the selector has no descriptor of its own, clients read their sockets directly."""
    monkeypatch.setattr(selectors, "DefaultSelector", selectors.SelectSelector)
    loop = asyncio.new_event_loop()
    try:
        assert ReadBatcher.for_loop(loop) is None
    finally:
        loop.close()


async def test_client_reads_directly_without_a_batcher(
    bambu_printer: BambuSimulator,
    make_client: ClientFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The client falls back to the event loop's own reader."""
    monkeypatch.setattr(ReadBatcher, "for_loop", classmethod(lambda _cls, _loop: None))
    client, recorder = recorded(make_client, bambu_printer)
    await client.connect()
    await wait_until(lambda: len(recorder.messages) >= 2)
    await client.stop()


def test_next_tick_is_on_the_grid() -> None:
    """Periodic timers of all printers land on the same multiples of their interval."""
    assert next_tick(12.3, 5.0) == 15.0
    assert next_tick(15.0, 5.0) == 20.0
    assert next_tick(0.01, 0.25) == 0.25
