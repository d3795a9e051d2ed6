"""`tinymir synth`: work in progress (filled in by its own change)."""

COMMANDS = []
