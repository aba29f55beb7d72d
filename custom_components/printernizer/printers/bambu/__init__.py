"""Bambu Lab printers over local MQTT/TLS."""
