"""A small progress line for long work: items done, rate, time left.

Writes to stderr, redraws in place on a terminal and prints a line every few seconds
otherwise (CI logs, pipes), so a long run always shows it is alive::

    with Progress(total=len(paths), unit="tracks", label="mel") as bar:
        for path in paths:
            ...
            bar.advance()
"""
from __future__ import annotations

import sys
import time


def format_seconds(seconds: float) -> str:
    """``75`` -> ``'1:15'``, ``3700`` -> ``'1:01:40'``."""
    if seconds != seconds or seconds == float("inf"):
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Counts finished items and reports ``done/total, rate, elapsed, time left``."""

    def __init__(self, total: int, unit: str = "items", label: str = "", stream=None,
                 enabled: bool = True, min_interval: float | None = None):
        self.total = int(total)
        self.unit = unit
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.min_interval = min_interval if min_interval is not None else (
            0.1 if self.interactive else 5.0)
        self.done = 0
        self.start = time.perf_counter()
        self._last_draw = 0.0

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    @property
    def rate(self) -> float:
        elapsed = self.elapsed
        return self.done / elapsed if elapsed > 0 else 0.0

    @property
    def remaining(self) -> float:
        rate = self.rate
        return (self.total - self.done) / rate if rate > 0 else float("inf")

    def line(self) -> str:
        pct = 100.0 * self.done / self.total if self.total else 100.0
        head = f"{self.label}: " if self.label else ""
        return (f"{head}{self.done}/{self.total} {self.unit} ({pct:3.0f}%) "
                f"{self.rate:.1f} {self.unit}/s, elapsed {format_seconds(self.elapsed)}, "
                f"left {format_seconds(self.remaining)}")

    def advance(self, n: int = 1, note: str = "") -> None:
        self.done += n
        now = time.perf_counter()
        if self.enabled and (now - self._last_draw >= self.min_interval or self.done >= self.total):
            self._draw(note)
            self._last_draw = now

    def _draw(self, note: str = "") -> None:
        text = self.line() + (f"  {note}" if note else "")
        if self.interactive:
            self.stream.write("\r" + text + "\x1b[K")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.interactive:
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def counted(n: int, noun: str) -> str:
    """``counted(1, "file")`` -> ``"1 file"``, ``counted(4, "file")`` -> ``"4 files"``."""
    return f"{n} {noun}" + ("" if n == 1 else "s")
