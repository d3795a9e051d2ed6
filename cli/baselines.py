"""`tinymir baselines`: work in progress (filled in by its own change)."""

COMMANDS = []
