"""Simulated Bambu Lab printer: a real MQTT 3.1.1/TLS broker with a printer model behind it."""
