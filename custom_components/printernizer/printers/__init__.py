"""Protocol clients for 3D printers; independent of Home Assistant."""
