"""The simulated printer: a PrusaLink state machine with a job that progresses over time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import struct
import time
import zlib

# PrusaLink v1 printer states.
IDLE = "IDLE"
BUSY = "BUSY"
READY = "READY"
PRINTING = "PRINTING"
PAUSED = "PAUSED"
FINISHED = "FINISHED"
STOPPED = "STOPPED"
ERROR = "ERROR"
ATTENTION = "ATTENTION"
STATES = (IDLE, BUSY, READY, PRINTING, PAUSED, FINISHED, STOPPED, ERROR, ATTENTION)
JOB_STATES = (PRINTING, PAUSED, ATTENTION, FINISHED, STOPPED, ERROR)
AMBIENT = 24.0


class ConflictError(Exception):
    """The command is not possible in the current state (HTTP 409)."""


def make_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """Return a small valid PNG of one colour with a diagonal stripe."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows.extend((255, 255, 255) if x == y else rgb)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows)))
        + chunk(b"IEND", b"")
    )


@dataclass
class SimFile:
    """A print file on the simulated USB stick."""

    name: str
    """8.3 name, as Buddy firmware stores it."""
    display_name: str
    duration: float
    """Print time in (simulated) seconds."""
    size: int
    m_timestamp: int
    thumbnail: bytes
    icon: bytes
    material: str = "PLA"
    content: bytes | None = None
    """The file's bytes (default: ``size`` bytes of G-code comments)."""
    folder: str = ""
    """Folder below the storage root, e.g. ``PROJECTS`` (empty: the root)."""
    meta: dict[str, object] | None = None
    """PrusaLink ``meta`` of the file (slicer statistics)."""

    @property
    def path(self) -> str:
        """Path below the storage, e.g. ``PROJECTS/BENCHY~1.BGC``."""
        return f"{self.folder}/{self.name}" if self.folder else self.name

    @property
    def data(self) -> bytes:
        """Return the file's bytes."""
        if self.content is not None:
            return self.content
        line = f"; {self.display_name}\n".encode()
        return (line * (self.size // len(line) + 1))[: self.size]

    @property
    def refs(self) -> dict[str, str]:
        """PrusaLink reference links of this file."""
        return {
            "icon": f"/thumb/s/usb/{self.path}",
            "thumbnail": f"/thumb/l/usb/{self.path}",
            "download": f"/usb/{self.path}",
        }


def default_files() -> list[SimFile]:
    """Three files with distinct thumbnails."""
    specs = (
        ("BENCHY~1.BGC", "benchy_0.4n_0.2mm_PLA_MK4_45m.bgcode", 2700, (200, 80, 20), "PLA"),
        (
            "CALIBR~1.BGC",
            "calibration_cube_0.4n_0.2mm_PETG_MK4_12m.bgcode",
            720,
            (20, 120, 200),
            "PETG",
        ),
        ("VASE_S~1.BGC", "vase_spiral_0.6n_0.3mm_PLA_MK4_2h5m.bgcode", 7500, (30, 160, 60), "PLA"),
    )
    return [
        SimFile(
            name=name,
            display_name=display,
            duration=duration,
            size=100_000 + 1000 * index,
            m_timestamp=1_729_000_000 + 3600 * index,
            thumbnail=make_png(16, 12, rgb),
            icon=make_png(8, 6, rgb),
            material=material,
            meta={
                "estimated printing time (normal mode)": f"{duration // 60}m 0s",
                "filament used [g]": round(duration / 300, 2),
                "filament used [mm]": round(duration * 1.5, 2),
                "filament_type": material,
                "filament cost": round(duration / 10000, 2),
            },
        )
        for index, (name, display, duration, rgb, material) in enumerate(specs)
    ]


@dataclass
class SimJob:
    """The current (or last) job."""

    id: int
    file: SimFile
    elapsed: float = 0.0
    """Simulated seconds printed so far (not counting pauses)."""


@dataclass
class PrinterMachine:
    """Consistent PrusaLink printer state; time runs `speed` times faster than the wall clock."""

    files: list[SimFile] = field(default_factory=default_files)
    speed: float = 1.0
    clock: Callable[[], float] = time.monotonic
    state: str = IDLE
    job: SimJob | None = None
    next_job_id: int = 100
    nozzle: float = AMBIENT
    bed: float = AMBIENT
    target_nozzle: float = 0.0
    target_bed: float = 0.0
    print_speed: int = 100
    flow: int = 100
    material: str = "PLA"
    error_message: str | None = None
    _last: float | None = None
    _offset: float = 0.0

    # ------------------------------------------------------------ time

    def now(self) -> float:
        """Return the simulated time in seconds."""
        return self.clock() * self.speed + self._offset

    def advance(self, seconds: float) -> None:
        """Jump the simulated clock forward."""
        self._offset += seconds
        self.tick()

    def tick(self) -> None:
        """Bring the state up to date with the simulated clock."""
        now = self.now()
        last = self._last if self._last is not None else now
        self._last = now
        elapsed = max(0.0, now - last)
        if self.state == PRINTING and self.job is not None:
            self.job.elapsed = min(self.job.file.duration, self.job.elapsed + elapsed)
            if self.job.elapsed >= self.job.file.duration:
                self.state = FINISHED
                self._heaters(off=True)
        # Heaters settle within ~30 simulated seconds.
        step = min(1.0, elapsed / 30.0) if elapsed else 0.0
        self.nozzle += (max(self.target_nozzle, AMBIENT) - self.nozzle) * step
        self.bed += (max(self.target_bed, AMBIENT) - self.bed) * step

    def _heaters(self, *, off: bool) -> None:
        self.target_nozzle = 0.0 if off else 215.0
        self.target_bed = 0.0 if off else 60.0

    # ------------------------------------------------------------ queries

    @property
    def progress(self) -> float | None:
        """Percent done of the current job."""
        if self.job is None:
            return None
        return round(100.0 * self.job.elapsed / self.job.file.duration, 2)

    @property
    def time_remaining(self) -> int | None:
        """Seconds left."""
        if self.job is None:
            return None
        return max(0, round(self.job.file.duration - self.job.elapsed))

    def file_by_name(self, name: str) -> SimFile | None:
        """Find a file by 8.3 or display name, or by its path below the storage."""
        return next((f for f in self.files if name in (f.name, f.display_name, f.path)), None)

    # ------------------------------------------------------------ commands

    def start(self, name: str | None = None) -> SimJob:
        """Start printing a file (default: the first)."""
        self.tick()
        if self.state not in (IDLE, READY, FINISHED, STOPPED):
            raise ConflictError(f"cannot start in {self.state}")
        file = self.file_by_name(name) if name else self.files[0]
        if file is None:
            raise KeyError(name)
        self.job = SimJob(id=self.next_job_id, file=file)
        self.next_job_id += 1
        self.state = PRINTING
        self.material = file.material
        self._heaters(off=False)
        return self.job

    def pause(self, job_id: int | None = None) -> None:
        """Pause the running job."""
        self._check(job_id, PRINTING)
        self.state = PAUSED

    def resume(self, job_id: int | None = None) -> None:
        """Resume a paused job."""
        self._check(job_id, PAUSED, ATTENTION)
        self.state = PRINTING
        self.error_message = None

    def stop(self, job_id: int | None = None) -> None:
        """Stop the job."""
        self._check(job_id, PRINTING, PAUSED, ATTENTION)
        self.state = STOPPED
        self._heaters(off=True)

    def finish(self) -> None:
        """Complete the job now."""
        self._check(None, PRINTING, PAUSED)
        assert self.job is not None
        self.job.elapsed = self.job.file.duration
        self.state = FINISHED
        self._heaters(off=True)

    def attention(self, message: str = "Filament runout") -> None:
        """Make the printer wait for the user (e.g. filament runout) in the middle of a job."""
        self.tick()
        self.state = ATTENTION
        self.error_message = message

    def error(self, message: str = "Thermal runaway") -> None:
        """Raise a fatal printer error."""
        self.tick()
        self.state = ERROR
        self.error_message = message
        self._heaters(off=True)

    def busy(self) -> None:
        """Make the printer busy (homing, calibration)."""
        self.tick()
        self.state = BUSY

    def clear(self) -> None:
        """Back to IDLE (user confirmed the end of the job or the error)."""
        self.tick()
        self.state = IDLE
        self.job = None
        self.error_message = None
        self._heaters(off=True)

    def _check(self, job_id: int | None, *states: str) -> None:
        self.tick()
        if self.job is None or self.state not in states:
            raise ConflictError(f"not possible in {self.state}")
        if job_id is not None and job_id != self.job.id:
            raise KeyError(job_id)
