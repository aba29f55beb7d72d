"""Pytest fixtures for the simulated bambu printer (filled in by the simulator work)."""
