"""A synthetic music set: genre-like classes rendered from seeds, in the GTZAN folder layout.

Each clip is a small arrangement played by additive synthesis and synthesised drums (the
sources are in :mod:`tinymir.audio.instruments`), so the classes differ the way genres do
(tempo, drum pattern, timbre, harmony) rather than by one number. Every clip is drawn from
``np.random.default_rng(SeedSequence([seed, class, index]))``: same seed, same samples (bit
for bit with the same NumPy on the same CPU; elsewhere NumPy's vectorised ``sin``/``exp`` may
round a last bit differently, which 16-bit files almost always absorb).

Within a class each clip gets a random key (root), tempo (+-8 % around the class tempo),
pattern variant, starting point inside the bar, part levels (+-3 dB), timbre details and a
noise floor (-55 to -40 dB); the mix is peak-normalised to -3 dBFS.

Patterns below are 16 steps of one 4/4 bar (``x`` = hit). The recipes, in ``GENRES`` order:

``rock``
    120 bpm. Backbeat: kick ``x.....x.x.......`` (or ``x.......x.x.....``), snare on 2 and 4
    ``....x.......x...``, closed hat on eighths. Power chords (root, fifth, octave; harmonic
    saw through a soft ``tanh`` overdrive) strummed in eighths, bass doubling the root in
    eighths. Major key, one chord a bar: I-V-vi-IV, I-IV-V-IV or vi-IV-I-V.
``electronic``
    126 bpm. Four-on-the-floor kick ``x...x...x...x...``, clap on 2 and 4, open hat on the
    off-beats, quiet sixteenth hats. Detuned-saw chord stabs on the off-beats, a square-wave
    sixteenth arpeggio over the chord tones, sine sub-bass on the off-beats. Minor key,
    i-VI-III-VII or i-iv-VI-v.
``jazz``
    150 bpm, swung eighths (ratio ~0.64). Ride cymbal (inharmonic metal partials) on the beats
    and the swung "and" of 2 and 4, hi-hat foot on 2 and 4, sparse feathered kick. Walking bass
    in quarter notes (plucked, chord tones and chromatic approach notes). Electric-piano
    seventh chords (harmonic partials plus a fast-decaying inharmonic "tine") comped on random
    swung off-beats, ii7-V7-Imaj7-vi7.
``classical``
    72 bpm, no drums. A string section: saw-like partials with slow attack, vibrato and
    release, holding four-part chords (I-IV-V-I, I-vi-ii-V, I-V-vi-iii); a flute-like melody
    (three weak harmonics, vibrato) walking the scale in quarter and half notes; a crescendo or
    decrescendo over the clip.
``hiphop``
    88 bpm, swung sixteenths (ratio ~0.6). Boom-bap: kick ``x......x.x......`` (or variants),
    snare on 2 and 4, sixteenth hats with accents. A long 808-style sine on the root
    (0.6 s decay) under every kick, low-passed electric-piano chords held two beats, vinyl
    crackle. Minor key, i-VI or i-iv-v-i.
``ambient``
    60 bpm, no drums. Slow pads (soft ``1/k^2`` partials, 1.5 s attack) changing chord every
    two bars, sparse bell notes (inharmonic partials 1, 2.76, 5.40, 8.93 with long decays)
    on five notes of the scale, swelling low-passed wind noise, a 2.5 s noise-tail reverb
    over everything. Major or minor key, scale degrees 1-6-4-5 or 1-6-3-7.
``metal``
    170 bpm. Double kick in sixteenths (``xxxxxxxxxxxxxxxx`` or ``xx.xxx.xxx.xxx.x``), snare
    on 2 and 4 or a half-time breakdown (snare on 3 only), crash on the downbeat. Palm-muted
    power-chord chugs in sixteenths (about one in seven left out, the same each bar) on a low
    root (E1 to G#1), hard ``tanh`` distortion and clipping. Minor or phrygian, scale
    degrees 1-6-7-1 or 1-2-1-7.
``reggae``
    75 bpm. One drop: kick and rim shot together on beat 3 only ``........x.......``, hats
    in lightly swung eighths. Skank: short staccato organ/guitar chords on the off-beats
    ``..x...x...x...x.`` (stronger on 2 and 4). Round bass (three harmonics, plucked) with a
    melodic pattern that rests on the downbeat. I-IV, i-iv or I-V-IV-I.

:func:`render_clip` returns one clip as a float32 array; :func:`make_dataset` writes
``out/<genre>/<genre>.00000.wav`` (16-bit PCM), the layout a GTZAN reader reads.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import signal

from tinymir.atomic import write_error
from tinymir.progress import Progress

from .instruments import (
    MIN_SR,
    additive,
    bell,
    clap,
    electric_piano,
    filtered_noise,
    hat,
    kick,
    midi_to_hz,
    overdrive,
    pluck,
    ride,
    saw,
    snare,
    square,
)
from .io import write

GENRES = ("rock", "electronic", "jazz", "classical", "hiphop", "ambient", "metal", "reggae")

PEAK = 10 ** (-3 / 20)          # peak level after normalisation: -3 dBFS
MAJOR = (0, 2, 4, 5, 7, 9, 11)  # scale steps in semitones
MINOR = (0, 2, 3, 5, 7, 8, 10)
PHRYGIAN = (0, 1, 3, 5, 7, 8, 10)


# --------------------------------------------------------------------------------------------
# Musical time
# --------------------------------------------------------------------------------------------

class Score:
    """A sample buffer with a bar/step clock: 16 steps a bar, optional swing.

    Step ``i`` sounds at ``i * step - offset`` seconds, where ``offset`` (random, up to a bar)
    makes clips start anywhere inside the bar; with ``swing = s`` an odd unit (eighth or
    sixteenth, ``swing_unit`` steps long) is delayed to ``s`` of the way through its pair.
    """

    def __init__(self, rng, seconds: float, sr: int, bpm: float, swing: float = 0.5,
                 swing_unit: int = 2):
        self.rng, self.sr = rng, sr
        self.out = np.zeros(int(round(seconds * sr)), dtype=np.float32)
        self.step = 60.0 / bpm / 4
        self.swing, self.swing_unit = swing, swing_unit
        self.offset = rng.uniform(0, 16 * self.step)
        self.steps = int(np.ceil((seconds + self.offset) / self.step)) + 1

    @property
    def bar(self) -> float:
        return 16 * self.step

    def time(self, step: float) -> float:
        """Seconds at which ``step`` sounds (swing applied to odd units)."""
        unit, within = divmod(step, self.swing_unit)
        if int(unit) % 2 == 1 and within == 0:
            step = step + (2 * self.swing - 1) * self.swing_unit
        return step * self.step - self.offset

    def add(self, sound, at: float, gain: float = 1.0) -> None:
        """Mix ``gain * sound`` in starting at ``at`` seconds (cropped to the clip)."""
        start = int(round(at * self.sr))
        head = max(-start, 0)
        start += head
        stop = min(start + sound.size - head, self.out.size)
        if stop > start:
            self.out[start:stop] += gain * sound[head:head + stop - start]

    def play(self, pattern: str, sound, gain: float = 1.0, accent=None) -> None:
        """Repeat a 16-step pattern (``x`` = hit) over the whole clip.

        Parameters
        ----------
        pattern : str
            16 characters, one a step; ``"x"`` plays ``sound`` on that step.
        sound : numpy.ndarray
            Float32 samples of one hit.
        gain : float, default 1.0
            Level of every hit (times a random 0.85 to 1.0).
        accent : sequence of float or None, default None
            16 extra gains, one a step (``None``: all 1).
        """
        for step in range(self.steps):
            if pattern[step % 16] == "x":
                level = gain if accent is None else gain * accent[step % 16]
                self.add(sound, self.time(step), level * self.rng.uniform(0.85, 1.0))

    def left(self, at: float, seconds: float) -> float:
        """``seconds``, shortened to what is left of the clip after ``at`` (long notes)."""
        return max(min(seconds, self.out.size / self.sr - at), 1.0 / self.sr)

    def bars(self) -> range:
        return range(self.steps // 16 + 1)


def chord(root: int, scale, degree: int, size: int = 3) -> list[int]:
    """MIDI notes of the chord on scale ``degree`` (0-based), thirds stacked in the scale.

    Parameters
    ----------
    root : int
        MIDI note of the scale's first degree.
    scale : sequence of int
        The 7 steps of the scale in semitones above ``root`` (e.g. ``MAJOR``).
    degree : int
        Scale degree the chord is built on, 0-based (may exceed 6: the next octave).
    size : int, default 3
        Number of notes (3: a triad, 4: a seventh chord).
    """
    notes = []
    for i in range(size):
        step = degree + 2 * i
        notes.append(root + scale[step % 7] + 12 * (step // 7))
    return notes


def level(rng) -> float:
    """A part's mix level: +-3 dB around unity."""
    return float(10 ** (rng.uniform(-3, 3) / 20))


def tempo(rng, bpm: float) -> float:
    """The class tempo +-8 %."""
    return bpm * rng.uniform(0.92, 1.08)


# --------------------------------------------------------------------------------------------
# The recipes (documented in the module docstring)
# --------------------------------------------------------------------------------------------

def _rock(rng, seconds, sr):
    s = Score(rng, seconds, sr, tempo(rng, 120))
    root = 40 + int(rng.integers(0, 12))
    s.play(rng.choice(["x.....x.x.......", "x.......x.x....."]), kick(sr), 0.9 * level(rng))
    s.play("....x.......x...", snare(rng, sr), 0.6 * level(rng))
    s.play("x.x.x.x.x.x.x.x.", hat(rng, sr), 0.5 * level(rng))
    progression = [(0, 4, 5, 3), (0, 3, 4, 3), (5, 3, 0, 4)][rng.integers(0, 3)]
    drive = rng.uniform(2.5, 4.0)
    guitar, bass = level(rng), level(rng)
    for bar in s.bars():
        note = chord(root, MAJOR, progression[bar % 4], 1)[0] + 12
        chord_hz = midi_to_hz([note, note + 7, note + 12])
        strum = overdrive(sum(saw(f, s.step * 2, sr, 20, decay=3.0) for f in chord_hz) / 3,
                          drive)
        low = pluck(midi_to_hz(note - 12), s.step * 2, sr, 6, decay=4.0)
        for eighth in range(8):
            at = s.time(bar * 16 + 2 * eighth)
            s.add(strum, at, 0.35 * guitar)
            s.add(low, at, 0.5 * bass)
    return s.out


def _electronic(rng, seconds, sr):
    s = Score(rng, seconds, sr, tempo(rng, 126))
    root = 45 + int(rng.integers(0, 12))
    s.play("x...x...x...x...", kick(sr, 120, 45, 0.3), 1.0 * level(rng))
    s.play("....x.......x...", clap(rng, sr), 0.5 * level(rng))
    s.play("..x...x...x...x.", hat(rng, sr, 0.25), 0.4 * level(rng))
    s.play("x" * 16, hat(rng, sr), 0.15 * level(rng))
    progression = [(0, 5, 2, 6), (0, 3, 5, 4)][rng.integers(0, 2)]
    stab_gain, arp_gain, sub_gain = level(rng), level(rng), level(rng)
    detune = rng.uniform(0.004, 0.01)
    arp_order = rng.permutation(3)
    for bar in s.bars():
        notes = chord(root, MINOR, progression[bar % 4], 3)
        hz = midi_to_hz(notes)
        stab = sum(saw(f * (1 + d), s.step * 1.5, sr, 14, decay=6.0)
                   for f in hz for d in (-detune, detune)) / 6
        for beat in range(4):
            s.add(stab, s.time(bar * 16 + 4 * beat + 2), 0.5 * stab_gain)
            s.add(additive(midi_to_hz(notes[0] - 12), s.step * 2, sr, 1.0, 1.0, 3.0),
                  s.time(bar * 16 + 4 * beat + 2), 0.6 * sub_gain)
        for step in range(16):
            tone = square(hz[arp_order[step % 3]] * 2, s.step, sr, 6, decay=10.0)
            s.add(tone, s.time(bar * 16 + step), 0.18 * arp_gain)
    return s.out


def _jazz(rng, seconds, sr):
    s = Score(rng, seconds, sr, tempo(rng, 150), swing=rng.uniform(0.6, 0.68))
    root = 41 + int(rng.integers(0, 12))
    s.play("x...x.x.x...x.x.", ride(rng, sr), 0.35 * level(rng))
    s.play("....x.......x...", hat(rng, sr, 0.05), 0.3 * level(rng))
    feathered = "".join(rng.choice(["x", "."], 16, p=[0.15, 0.85]))
    s.play(feathered, kick(sr, 100, 50, 0.15), 0.25 * level(rng))
    progression = (1, 4, 0, 5)
    bass_gain, piano_gain = level(rng), level(rng)
    for bar in s.bars():
        notes = chord(root, MAJOR, progression[bar % 4], 4)
        following = chord(root, MAJOR, progression[(bar + 1) % 4], 1)[0]
        walk = [notes[0], notes[1 + rng.integers(0, 2)], notes[2], following + rng.choice([-1, 1])]
        for beat, note in enumerate(walk):
            s.add(pluck(midi_to_hz(note - 12), s.step * 4, sr, 5, decay=5.0),
                  s.time(bar * 16 + 4 * beat), 0.8 * bass_gain)
        voicing = sum(electric_piano(f, s.step * 6, sr) for f in midi_to_hz(np.add(notes, 12)))
        for step in sorted(rng.choice([0, 2, 6, 8, 10, 14], size=2, replace=False)):
            s.add(voicing / 4, s.time(bar * 16 + step), 0.6 * piano_gain)
    return s.out


def _classical(rng, seconds, sr):
    s = Score(rng, seconds, sr, tempo(rng, 72))
    root = 48 + int(rng.integers(0, 12))
    progression = [(0, 3, 4, 0), (0, 5, 1, 4), (0, 4, 5, 2)][rng.integers(0, 3)]
    strings, flute = level(rng), level(rng)
    vibrato_rate = rng.uniform(4.5, 6.0)
    for bar in s.bars():
        notes = chord(root, MAJOR, progression[bar % 4], 4)
        notes[0] -= 12
        at = s.time(bar * 16)
        for f in midi_to_hz(notes):
            s.add(saw(f, s.left(at, s.bar * 1.15), sr, 12, attack=0.25, release=0.3,
                      vibrato=(0.006, vibrato_rate * rng.uniform(0.9, 1.1)), slope=1.3),
                  at, 0.12 * strings)
    degree = int(rng.integers(0, 7))
    step = 0
    while step < s.steps:
        length = int(rng.choice([4, 4, 8]))
        degree = int(np.clip(degree + rng.choice([-2, -1, 1, 2]), 0, 9))
        note = root + 12 + MAJOR[degree % 7] + 12 * (degree // 7)
        ratios, amps = (1.0, 2.0, 3.0), (1.0, 0.2, 0.08)
        at = s.time(step)
        tone = additive(midi_to_hz(note), s.left(at, length * s.step), sr, ratios, amps, 0.3,
                        attack=0.06, release=0.08, vibrato=(0.004, vibrato_rate))
        s.add(tone, at, 0.25 * flute)
        step += length
    swell = np.linspace(*rng.choice([(0.5, 1.0), (1.0, 0.5)]), s.out.size, dtype=np.float32)
    return s.out * swell


def _hiphop(rng, seconds, sr):
    s = Score(rng, seconds, sr, tempo(rng, 88), swing=rng.uniform(0.56, 0.64), swing_unit=1)
    root = 36 + int(rng.integers(0, 12))
    kicks = rng.choice(["x......x.x......", "x.....x...x.....", "x......xx.....x."])
    s.play(kicks, kick(sr, 110, 50, 0.2), 0.9 * level(rng))
    boom = additive(midi_to_hz(root), 0.9, sr, 1.0, 1.0, 1 / 0.6, attack=0.003)
    s.play(kicks, boom, 0.6 * level(rng))
    s.play("....x.......x...", snare(rng, sr, 200, 0.15), 0.7 * level(rng))
    accent = np.tile([1.0, 0.5, 0.7, 0.5], 4)
    s.play("x" * 16, hat(rng, sr, 0.025), 0.35 * level(rng), accent)
    progression = [(0, 5), (0, 3, 4, 0)][rng.integers(0, 2)]
    keys = level(rng)
    lowpass = signal.butter(2, 1800, fs=sr, output="sos")
    for bar in s.bars():
        notes = chord(root + 12, MINOR, progression[bar % len(progression)], 4)
        voicing = sum(electric_piano(f, s.step * 8, sr, 0.8) for f in midi_to_hz(notes))
        voicing = signal.sosfilt(lowpass, voicing).astype(np.float32) / 4
        for half in (0, 8):
            s.add(voicing, s.time(bar * 16 + half), 0.6 * keys)
    crackle = (rng.random(s.out.size) < 30 / sr) * rng.uniform(-1, 1, s.out.size)
    return s.out + 0.08 * crackle.astype(np.float32)


def _ambient(rng, seconds, sr):
    s = Score(rng, seconds, sr, tempo(rng, 60))
    root = 48 + int(rng.integers(0, 12))
    scale = MAJOR if rng.random() < 0.5 else MINOR
    progression = [(0, 5, 3, 4), (0, 5, 2, 6)][rng.integers(0, 2)]
    pads, bells = level(rng), level(rng)
    for bar in range(0, len(s.bars()), 2):
        notes = chord(root, scale, progression[(bar // 2) % 4], 4)
        at = s.time(bar * 16)
        for f in midi_to_hz(notes):
            s.add(saw(f, s.left(at, s.bar * 2.4), sr, 10, attack=1.5, release=1.2, slope=2.0,
                      vibrato=(0.002, rng.uniform(0.2, 0.5))), at, 0.15 * pads)
    pentatonic = np.array(scale)[[0, 1, 2, 4, 5]]
    for step in range(0, s.steps, 2):
        if rng.random() < 0.12:
            note = root + 24 + int(rng.choice(pentatonic))
            at = s.time(step)
            s.add(bell(midi_to_hz(note), s.left(at, 3.0), sr), at, 0.2 * bells)
    wind = filtered_noise(rng, seconds, sr, "lowpass", rng.uniform(400, 900), decay=None)
    wind *= 0.5 + 0.5 * np.sin(2 * np.pi * np.arange(wind.size) / sr / rng.uniform(3, 6))
    s.out += 0.05 * level(rng) * wind
    tail = filtered_noise(rng, 2.5, sr, "lowpass", 5000, 0.5)
    wet = signal.fftconvolve(s.out, tail / np.sqrt(np.sum(tail ** 2)))[:s.out.size]
    return 0.6 * s.out + 0.8 * wet.astype(np.float32)


def _metal(rng, seconds, sr):
    s = Score(rng, seconds, sr, tempo(rng, 170))
    root = 28 + int(rng.integers(0, 5))
    s.play(rng.choice(["x" * 16, "xx.xxx.xxx.xxx.x"]), kick(sr, 140, 55, 0.12), 0.7 * level(rng))
    s.play(rng.choice(["....x.......x...", "........x......."]), snare(rng, sr), 0.7 * level(rng))
    s.play("x" * 16, hat(rng, sr, 0.02), 0.2 * level(rng))
    crash = 0.5 * filtered_noise(rng, 2.0, sr, "highpass", 4000, 0.8)
    scale = MINOR if rng.random() < 0.5 else PHRYGIAN
    progression = [(0, 5, 6, 0), (0, 1, 0, 6)][rng.integers(0, 2)]
    drive, guitar = rng.uniform(8, 14), level(rng)
    rhythm = np.where(rng.random(16) < 0.85, 1.0, 0.0)
    for bar in s.bars():
        s.add(crash, s.time(bar * 16), 0.4)
        note = root + scale[progression[bar % 4]]
        hz = midi_to_hz([note, note + 7, note + 12])
        chug = overdrive(sum(saw(f, s.step, sr, 24, decay=12.0) for f in hz) / 2, drive)
        for step in range(16):
            if rhythm[step]:
                s.add(np.clip(chug, -0.8, 0.8), s.time(bar * 16 + step), 0.45 * guitar)
    return s.out


def _reggae(rng, seconds, sr):
    s = Score(rng, seconds, sr, tempo(rng, 75), swing=rng.uniform(0.52, 0.58))
    root = 40 + int(rng.integers(0, 12))
    s.play("........x.......", kick(sr, 120, 50, 0.2), 0.9 * level(rng))
    s.play("........x.......", snare(rng, sr, 330, 0.05), 0.5 * level(rng))
    s.play("x.x.x.x.x.x.x.x.", hat(rng, sr, 0.04), 0.3 * level(rng))
    scale = MAJOR if rng.random() < 0.6 else MINOR
    progression = [(0, 3), (0, 4, 3, 0)][rng.integers(0, 2)]
    skank_gain, bass_gain = level(rng), level(rng)
    bass_steps = (3, 6, 8, 10, 14) if rng.random() < 0.5 else (2, 4, 7, 10, 12)
    for bar in s.bars():
        notes = chord(root + 24, scale, progression[bar % len(progression)], 3)
        ratios, amps = (1.0, 2.0, 3.0, 4.0, 6.0), (1.0, 0.6, 0.5, 0.3, 0.2)
        skank = sum(additive(f, 0.12, sr, ratios, amps, 8.0, attack=0.002, release=0.03)
                    for f in midi_to_hz(notes)) / 3
        for step, accent in zip((2, 6, 10, 14), (0.6, 1.0, 0.6, 1.0)):
            s.add(skank, s.time(bar * 16 + step), 0.5 * accent * skank_gain)
        line = chord(root, scale, progression[bar % len(progression)], 3)
        for i, step in enumerate(bass_steps):
            s.add(pluck(midi_to_hz(line[i % 3]), s.step * 2, sr, 3, decay=2.0, slope=1.5),
                  s.time(bar * 16 + step), 0.8 * bass_gain)
    return s.out


RECIPES = {"rock": _rock, "electronic": _electronic, "jazz": _jazz, "classical": _classical,
           "hiphop": _hiphop, "ambient": _ambient, "metal": _metal, "reggae": _reggae}


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------

def clip_rng(seed: int, genre: str, index: int) -> np.random.Generator:
    """The generator of clip ``index`` of ``genre``.

    ``default_rng(SeedSequence([seed, g, index]))`` with ``g`` the genre's position in
    :data:`GENRES`, so every clip has its own stream whatever else is rendered.
    """
    return np.random.default_rng(np.random.SeedSequence([int(seed), GENRES.index(genre),
                                                         int(index)]))


def render_clip(genre: str, seed_or_rng, seconds: float = 6.0, sr: int = 22050) -> np.ndarray:
    """One clip of ``genre`` as float32 samples, peak-normalised to -3 dBFS.

    ``seed_or_rng`` is an int seed or a ``numpy.random.Generator``; the same seed gives the
    same array. A noise floor at -55 to -40 dB below full scale is added before normalising.

    Parameters
    ----------
    genre : str
        One of :data:`GENRES`.
    seed_or_rng : int or numpy.random.Generator
        Where the randomness comes from.
    seconds : float, default 6.0
        Length of the clip in seconds.
    sr : int, default 22050
        Sample rate in Hz.
    """
    if genre not in RECIPES:
        raise ValueError(f"unknown genre {genre!r}: choose from {', '.join(GENRES)}")
    if seconds <= 0:
        raise ValueError(f"seconds must be positive, got {seconds}")
    if sr < MIN_SR:
        raise ValueError(f"sr must be at least {MIN_SR} Hz, got {sr}")
    rng = seed_or_rng if isinstance(seed_or_rng, np.random.Generator) \
        else np.random.default_rng(seed_or_rng)
    y = RECIPES[genre](rng, seconds, sr)
    peak = np.max(np.abs(y))
    noise_floor = 10 ** (rng.uniform(-55, -40) / 20) * max(peak, 1e-3)
    y = y + noise_floor * rng.standard_normal(y.size).astype(np.float32)
    return (PEAK * y / np.max(np.abs(y))).astype(np.float32)


def resolve_classes(classes) -> tuple[str, ...]:
    """``classes`` as genre names: an int ``N`` means the first ``N`` of :data:`GENRES`."""
    if isinstance(classes, (int, np.integer)):
        if not 1 <= classes <= len(GENRES):
            raise ValueError(f"classes must be between 1 and {len(GENRES)}, got {classes}")
        return GENRES[:classes]
    names = tuple(classes)
    unknown = [name for name in names if name not in RECIPES]
    if unknown or not names:
        raise ValueError(f"unknown genre(s) {unknown or names}: choose from {', '.join(GENRES)}")
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"{', '.join(twice)} given more than once in the classes: name each "
                         "class once")
    return names


MAX_SECONDS = 600.0        # a clip is rendered whole in memory: ten minutes at most
MAX_SR = 192000
MAX_SAMPLES = 600 * 48000  # ... and at most ten minutes at 48 kHz
MAX_PER_CLASS = 100_000


@dataclass
class Written:
    """What :func:`write_dataset` did: every clip of the set (``paths``), how many it wrote,
    how many were already there with the same samples (kept), and the other audio files
    in the folder that it left alone."""
    paths: list
    written: int
    kept: int
    others: list


def check_options(per_class: int, seconds: float, seed: int, sr: int) -> None:
    """Refuse a set that cannot be rendered, before anything is written.

    Parameters
    ----------
    per_class : int
        Clips per genre, 1 to ``MAX_PER_CLASS``.
    seconds : float
        Length of a clip in seconds, above 0 and at most ``MAX_SECONDS``.
    seed : int
        Seed of the set, 0 or more.
    sr : int
        Sample rate in Hz, ``MIN_SR`` to ``MAX_SR``; ``seconds * sr`` at most ``MAX_SAMPLES``.
    """
    for name, value, low, high in (("per_class", per_class, 1, MAX_PER_CLASS),
                                   ("seed", seed, 0, None),
                                   ("sr", sr, MIN_SR, MAX_SR)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                or value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high else f"{low} or more"
            raise ValueError(f"{name} must be a whole number {bound}, got {value!r}")
    if not (isinstance(seconds, (int, float)) and np.isfinite(seconds)
            and 0 < seconds <= MAX_SECONDS):
        raise ValueError(f"seconds must be a number above 0 and at most {MAX_SECONDS:g} (a clip "
                         f"is rendered in memory), got {seconds!r}")
    if seconds * sr > MAX_SAMPLES:
        raise ValueError(f"{seconds:g} s at {sr} Hz is {seconds * sr:.3g} samples a clip; at "
                         f"most {MAX_SAMPLES} fit (a clip is rendered in memory): use fewer "
                         "--seconds or a lower --sr")


def write_dataset(out, classes=6, per_class: int = 20, seconds: float = 6.0, seed: int = 0,
                  sr: int = 22050, progress: bool = False) -> Written:
    """Write ``out/<genre>/<genre>.<index:05d>.wav`` (16-bit PCM) for every genre and index,
    never changing a file already there.

    ``classes`` is a count (the first ``N`` of :data:`GENRES`) or a list of names. Clip ``i``
    of genre ``g`` is ``render_clip(g, clip_rng(seed, g, i), seconds, sr)``, so adding classes
    or clips never changes the clips already there. A clip whose file exists with the same
    samples is kept (a rerun continues); one that exists with other samples (another seed,
    length or rate, or a file of yours) stops the command before it writes anything. Each
    file is written beside its place and renamed into it, so a killed run leaves whole files.

    Parameters
    ----------
    out : str or os.PathLike
        Folder of the set (created when missing).
    classes : int or list of str, default 6
        The first ``N`` genres of :data:`GENRES`, or their names.
    per_class : int, default 20
        Clips per genre.
    seconds : float, default 6.0
        Length of each clip in seconds.
    seed : int, default 0
        Seed of the set; clip ``i`` of genre ``g`` uses ``clip_rng(seed, g, i)``.
    sr : int, default 22050
        Sample rate in Hz.
    progress : bool, default False
        Show a progress bar.
    """
    names = resolve_classes(classes)
    check_options(per_class, seconds, seed, sr)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} is a file: choose a folder for the data set")
    plan = [(genre, index, out / genre / f"{genre}.{index:05d}.wav")
            for genre in names for index in range(per_class)]
    present = [item for item in plan if item[2].exists()]
    for genre, index, path in present:
        if not path.is_file() or _render_to_bytes(genre, index, path, seed, seconds, sr) \
                != path.read_bytes():
            raise ValueError(f"{path} already exists with other content (another --seed, "
                             f"--seconds or --sr, or a file of yours; {len(present)} of the "
                             f"{len(plan)} clips are there): choose another OUT, or the "
                             "options it was made with")
    mine = {item[2] for item in plan}
    others = sorted(p for p in out.rglob("*") if p.is_file() and p not in mine
                    and not p.name.startswith(".")) if out.is_dir() else []
    written = 0
    with Progress(len(plan), unit="clips", label="synth", enabled=progress) as bar:
        if present:
            bar.advance(len(present))
        for genre, index, path in plan:
            if not path.exists():
                try:
                    os.makedirs(path.parent, exist_ok=True)
                    os.replace(_render_to_file(genre, index, path, seed, seconds, sr), path)
                except OSError as exc:
                    raise write_error(path, exc) from None
                written += 1
                bar.advance()
    return Written([path for _, _, path in plan], written, len(present), others)


def _render_to_file(genre: str, index: int, path: Path, seed: int, seconds: float,
                    sr: int) -> Path:
    """Clip ``index`` of ``genre`` written to a temporary file beside ``path``."""
    temp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        write(temp, render_clip(genre, clip_rng(seed, genre, index), seconds, sr), sr)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def _render_to_bytes(genre: str, index: int, path: Path, seed: int, seconds: float,
                     sr: int) -> bytes:
    """The bytes :func:`write_dataset` would write to ``path`` (to compare with a file
    there)."""
    temp = _render_to_file(genre, index, path, seed, seconds, sr)
    try:
        return temp.read_bytes()
    finally:
        temp.unlink()


def make_dataset(out, classes=6, per_class: int = 20, seconds: float = 6.0, seed: int = 0,
                 sr: int = 22050, progress: bool = False) -> list[Path]:
    """:func:`write_dataset`, returning the paths of every clip of the set, class by class.

    Parameters
    ----------
    out : str or os.PathLike
        Folder of the set (created when missing).
    classes : int or list of str, default 6
        The first ``N`` genres of :data:`GENRES`, or their names.
    per_class : int, default 20
        Clips per genre.
    seconds : float, default 6.0
        Length of each clip in seconds.
    seed : int, default 0
        Seed of the set; clip ``i`` of genre ``g`` uses ``clip_rng(seed, g, i)``.
    sr : int, default 22050
        Sample rate in Hz.
    progress : bool, default False
        Show a progress bar.
    """
    return write_dataset(out, classes, per_class, seconds, seed, sr, progress).paths
