"""A simulated PrusaLink printer (Buddy, Raspberry Pi and legacy firmware variants)."""

from .machine import PrinterMachine, SimFile, make_png
from .server import PrusaLinkSimulator

__all__ = ["PrinterMachine", "PrusaLinkSimulator", "SimFile", "make_png"]
