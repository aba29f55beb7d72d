"""Pytest fixtures for the simulated prusa printer (filled in by the simulator work)."""
