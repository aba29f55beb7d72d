"""Prusa printers over PrusaLink HTTP."""
