"""Tests of the print-file metadata parsers."""
