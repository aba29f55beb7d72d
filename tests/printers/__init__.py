"""Tests of the protocol clients."""
