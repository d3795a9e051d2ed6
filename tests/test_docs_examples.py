"""Every fenced ``bash`` and ``python`` block of the README and of ``docs/*.md`` runs as written.

A page is one test: its blocks run in order, in one fresh folder (a user's working folder), so a
later block may use what an earlier one made (``tinymir synth data/demo`` then ``tinymir train``).
Bash blocks run under ``bash -e`` with the installed ``tinymir`` on the PATH; python blocks run
as a script in a fresh interpreter. The folder starts with ``song.wav`` and ``song.mp3`` (6 s of a
synthetic jazz clip), the files the pages name for "your audio".

What is not run says why, in a comment on the line before its fence, which this test requires:

    <!-- docs-test: skip (the reason) -->

and a page whose blocks take minutes (it trains on the full demo set) says so at its top with
``<!-- docs-test: slow -->``; those run with ``pytest -m slow`` (CI runs them after the suite).
Lines starting ``pip install`` are left out everywhere: the test runs in the environment the
test extra installed (CI runs the install lines themselves).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tinymir.audio import synth

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\s*$")
MARK = re.compile(r"<!-- docs-test: (skip|slow)(?: \((.+)\))? -->")
RUN_LANGUAGES = {"bash", "python"}


@dataclass
class Block:
    page: str
    line: int
    language: str
    code: str
    skip: str | None            # the stated reason, or None when it runs


def blocks(page: Path) -> list[Block]:
    found, lines = [], page.read_text().splitlines()
    i = 0
    while i < len(lines):
        opened = FENCE.match(lines[i].strip())
        if opened is None:
            i += 1
            continue
        start, language = i, opened.group(1)
        i += 1
        while not lines[i].strip().startswith("```"):
            i += 1
        mark = MARK.search(lines[start - 1]) if start else None
        skip = mark.group(2) or "" if mark and mark.group(1) == "skip" else None
        code = textwrap.dedent("\n".join(lines[start + 1:i]))     # a block inside a list item
        found.append(Block(page.name, start + 1, language, code, skip))
        i += 1
    return found


def is_slow(page: Path) -> bool:
    """Marked at the top of the page (a page may mention the mark in its text)."""
    return page.read_text().lstrip().startswith("<!-- docs-test: slow -->")


def _page_params():
    for page in PAGES:
        marks = [pytest.mark.slow] if is_slow(page) else []
        yield pytest.param(page, id=page.name, marks=marks)


def test_every_block_says_what_it_is_and_every_skip_says_why():
    for page in PAGES:
        for block in blocks(page):
            where = f"{block.page}:{block.line}"
            assert block.language, f"{where}: a fence without a language (bash, python, toml...)"
            if block.skip is not None:
                assert len(block.skip) >= 10, f"{where}: a skipped block needs its reason"
                assert block.language in RUN_LANGUAGES, f"{where}: only runnable blocks skip"


def _user_folder(tmp_path: Path) -> Path:
    y = synth.render_clip("jazz", seed_or_rng=11, seconds=6.0)
    soundfile.write(tmp_path / "song.wav", y, 22050)
    soundfile.write(tmp_path / "song.mp3", np.asarray(y, np.float32), 22050, format="MP3")
    return tmp_path


def _without_installs(code: str) -> str:
    kept = []
    for line in code.splitlines():
        stripped = line.strip()
        if stripped.startswith("pip install"):
            rest = stripped.split("&&", 1)
            line = rest[1].strip() if len(rest) == 2 else ""
        kept.append(line)
    return "\n".join(kept)


def _run(block: Block, folder: Path, number: int) -> None:
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(
        filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    if block.language == "python":
        script = folder / f".docs_block_{number}.py"
        script.write_text(block.code + "\n")
        command = [sys.executable, str(script)]
    else:
        command = ["bash", "-e", "-o", "pipefail", "-c", _without_installs(block.code)]
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, (f"{block.page}:{block.line} failed "
                                  f"(exit {done.returncode}):\n{block.code}\n--- stdout\n"
                                  f"{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}")
    assert "Traceback" not in done.stderr, f"{block.page}:{block.line}\n{done.stderr[-3000:]}"


@pytest.mark.parametrize("page", list(_page_params()))
def test_the_page_runs_as_written(page, tmp_path):
    runnable = [b for b in blocks(page) if b.language in RUN_LANGUAGES and b.skip is None]
    if not runnable:
        pytest.skip(f"{page.name} has no runnable block")
    folder = _user_folder(tmp_path)
    for number, block in enumerate(runnable):
        _run(block, folder, number)
