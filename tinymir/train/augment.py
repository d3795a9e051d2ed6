"""On-the-fly augmentation of TRAINING batches: a different view of the same data every epoch.

``--augment crop+specaugment+mixup:alpha=0.4`` (``+`` joins augmentations, ``:key=value,...``
sets parameters; ``all`` is every one with its defaults, ``none`` switches augmentation off).
Validation, test, prediction and the BatchNorm re-estimation never see an augmented batch: only
:meth:`tinymir.train.loop.Trainer.train_epoch` calls the :class:`Augmenter`.

A batch is ``x`` of shape ``(B, 1, F, L)`` (F feature rows, L frames), already standardised per
row with the training statistics (``x = (v - mu_f) / sigma_f`` for raw feature values v), and
targets y (labels, or a 0/1 tag matrix). The augmentations, in the order they run:

* ``crop`` (random crop): each epoch, every training slice of a track with n frames gets a new
  start ``s ~ U{0, ..., n - L}`` instead of its fixed one, so a track gives a different window
  every epoch (tracks no longer than one slice keep their only window).
* ``shift`` (random time shift, ``max`` frames, default 20): ``x'[..., t] = x[..., (t - k) mod L]``
  with ``k ~ U{-max, ..., max}`` per sample; the same circular shift of samples is what it means
  for waveform batches (it works on the last axis of any batch).
* ``gain`` (random gain, ``db`` default 6): the clip as if played ``g ~ U[-db, db]`` dB louder,
  ``y' = 10^(g/20) y``. On dB features that adds g to every dB value (the top_db floor moves with
  the clip's maximum), so on the standardised batch ``x'_f = x_f + g d_f / sigma_f`` where
  ``d_f`` is row f's change per dB: 1 for mel and STFT rows, ``sum_m D[q, m]`` for MFCC q (the
  DCT of a constant: only c0 moves), 0 for chroma, contrast and centroid (they do not change
  with loudness).
* ``specaugment`` (Park et al. 2019, time and frequency masking; ``time`` = T default 20 frames,
  ``freq`` = W default 12 rows, ``masks`` = M default 2 of each): per sample, M times
  ``w ~ U{0..T}, t0 ~ U{0..L-w}: x[..., t0:t0+w] = 0`` and M times
  ``w ~ U{0..W}, f0 ~ U{0..F-w}: x[..., f0:f0+w, :] = 0`` (0 is the training mean after
  standardisation).
* ``mixup`` (Zhang et al. 2018, ``alpha`` default 0.2): ``lam ~ Beta(alpha, alpha)`` per batch and
  a random permutation pi of the batch, ``x' = lam x + (1 - lam) x[pi]``,
  ``y' = lam Y + (1 - lam) Y[pi]`` with Y the one-hot labels (or the tag matrix). The loss is
  the soft-label cross-entropy ``-(1/B) sum_n sum_k y'_nk log p_nk`` (``nn.SoftmaxCrossEntropy``
  takes class probabilities; for tags binary cross-entropy takes y' as it is), which equals
  ``lam CE(x', y) + (1 - lam) CE(x', y[pi])``.

Random numbers: one host generator, seeded with ``(seed, AUGMENT_STREAM)``, drawn in a fixed
order (crop starts at the start of an epoch, then per batch each augmentation in order); only
small parameter arrays travel to the device and the targets are mixed on the host, so
augmenting adds no device-to-host synchronisation. The generator's state is part of the run
state (``Trainer.state_dict``), so a resumed run augments exactly as the uninterrupted one would.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

import numpy as np

from tinymir import backend
from tinymir.data.segments import Segments

AUGMENT_STREAM = 16          # keeps the augmentation's generator apart from the other seeded ones
ORDER = ("crop", "shift", "gain", "specaugment", "mixup")
DEFAULTS = {"crop": {}, "shift": {"max": 20}, "gain": {"db": 6.0},
            "specaugment": {"time": 20, "freq": 12, "masks": 2}, "mixup": {"alpha": 0.2}}


class AugmentError(ValueError):
    """An augmentation list that cannot be read (unknown name or parameter, bad value)."""


#: The largest value of each parameter: beyond it an augmentation means nothing more (a shift
#: or mask wider than any input, a gain past the 80 dB floor of dB features) or only costs
#: memory (masks are drawn per sample).
LIMITS = {"max": 10**6, "db": 100.0, "time": 10**6, "freq": 10**6, "masks": 100,
          "alpha": float("inf")}
_JOIN = re.compile(r"\+(?![\d.])")      # the + between names, not the one of 1e+06


def _number(value) -> str:
    """A parameter as text with no exponent (``1e+06`` would read as two augmentations)."""
    return np.format_float_positional(value, trim="-") if isinstance(value, float) \
        else str(value)


@dataclass(frozen=True)
class Augmentation:
    """One augmentation by name, with its parameters (defaults filled in)."""
    name: str
    params: dict = field(default_factory=dict)

    def describe(self) -> str:
        shown = ",".join(f"{k}={_number(v)}" for k, v in self.params.items())
        return self.name + (f":{shown}" if shown else "")


def parse(spec: str | None) -> list[Augmentation]:
    """``"crop+mixup:alpha=0.4"`` -> augmentations in :data:`ORDER`; None, "" or "none" -> [].

    Every name at most once; a parameter is a finite number within :data:`LIMITS`, a whole
    number where the default is one (``shift:max=2.5`` is refused, not rounded)."""
    if spec is None or spec.strip() in ("", "none"):
        return []
    if not isinstance(spec, str):
        raise AugmentError(f"--augment must be text such as 'crop+mixup', got {spec!r}")
    if spec.strip() == "all":
        spec = "+".join(ORDER)
    chosen = {}
    for item in _JOIN.split(spec):
        name, _, settings = item.strip().partition(":")
        if name not in DEFAULTS:
            alone = " (all and none stand alone)" if name in ("all", "none") else ""
            raise AugmentError(f"unknown augmentation {name!r} in --augment {spec!r}: choose "
                               f"from {', '.join(ORDER)} joined by +, all or none{alone}")
        if name in chosen:
            raise AugmentError(f"--augment {spec!r}: {name} is given twice; give it once")
        params = dict(DEFAULTS[name])
        for setting in filter(None, settings.split(",")):
            key, eq, value = setting.partition("=")
            key = key.strip()
            if key not in params or not eq:
                known = ", ".join(f"{k}=" for k in DEFAULTS[name]) or "no parameters"
                raise AugmentError(f"--augment {spec!r}: {name} takes {known}, got {setting!r}")
            params[key] = _value(spec, name, key, value)
        chosen[name] = Augmentation(name, params)
    return [chosen[name] for name in ORDER if name in chosen]


def _value(spec: str, name: str, key: str, value: str):
    """One parameter's value, checked: finite, at least 0 (alpha above 0), at most its limit,
    whole where the default is whole."""
    try:
        number = float(value)
    except ValueError:
        raise AugmentError(f"--augment {spec!r}: {name} {key} must be a number, "
                           f"got {value!r}") from None
    whole = not isinstance(DEFAULTS[name][key], float)
    if not np.isfinite(number) or number < 0 or (key == "alpha" and number == 0):
        raise AugmentError(f"--augment {spec!r}: {name} {key} must be "
                           f"{'positive' if key == 'alpha' else 'at least 0'}, got {value}")
    if number > LIMITS[key]:
        raise AugmentError(f"--augment {spec!r}: {name} {key} must be at most "
                           f"{_number(LIMITS[key])}, got {value}")
    if whole and number != int(number):
        raise AugmentError(f"--augment {spec!r}: {name} {key} must be a whole number, "
                           f"got {value}")
    return int(number) if whole else number


def describe(augmentations: list[Augmentation]) -> str:
    """The canonical spec string (``parse(describe(a)) == a``), ``none`` for no augmentation."""
    return "+".join(a.describe() for a in augmentations) or "none"


# -- the augmentations: pure functions of a batch and the numbers drawn for it -------------
def crop_starts(segments: Segments, frame_counts, rng) -> Segments:
    """``crop``: a new start ``U{0..n_t - L}`` for every slice of track t (n_t frames)."""
    room = np.maximum(np.asarray(frame_counts, np.int64)[segments.track] - segments.frames, 0)
    starts = np.floor(rng.random(len(segments)) * (room + 1)).astype(np.int64)
    return Segments(segments.track, starts, segments.frames)


def time_shift(x, shifts):
    """``shift``: ``x'[b, ..., t] = x[b, ..., (t - k_b) mod L]`` for host ints ``shifts`` (B,),
    i.e. ``np.roll(x[b], k_b, axis=-1)`` for every sample b."""
    xp = backend.array_module(x)
    length = x.shape[-1]
    if xp is np:            # two slice copies a sample: a tenth of the gather's time on a CPU
        out = np.empty_like(x)
        for b, k in enumerate(np.asarray(shifts) % length):
            out[b, ..., k:] = x[b, ..., :length - k]
            out[b, ..., :k] = x[b, ..., length - k:]
        return out
    index = (xp.arange(length)[None, :] - xp.asarray(shifts)[:, None]) % length
    index = index.reshape((x.shape[0],) + (1,) * (x.ndim - 2) + (length,))
    return xp.take_along_axis(x, xp.broadcast_to(index, x.shape), axis=-1)


def add_gain(x, gains_db, direction):
    """``gain``: ``x'[b, :, f, :] = x[b, :, f, :] + g_b direction_f`` (``d_f / sigma_f``)."""
    xp = backend.array_module(x)
    g = xp.asarray(gains_db, dtype=x.dtype).reshape((-1,) + (1,) * (x.ndim - 1))
    d = xp.asarray(direction, dtype=x.dtype).reshape((-1, 1))
    return x + g * d


def band_keep(size: int, starts, widths, xp, dtype):
    """``(B, size)``: 0 where any of sample b's bands ``[s, s + w)`` covers the index, else 1
    (``starts``, ``widths``: host ints ``(B, M)``).

    Parameters
    ----------
    size : int
        Length of the axis the bands cover (rows or frames).
    starts, widths : ndarray of int, shape (B, M)
        Host ints: each sample's band starts and widths, in rows or frames.
    xp : module
        The array module (numpy or cupy) of the result.
    dtype : dtype
        The result's dtype (the batch's).
    """
    index = xp.arange(size)[None, None, :]
    s = xp.asarray(starts)[:, :, None]
    hidden = ((index >= s) & (index < s + xp.asarray(widths)[:, :, None])).any(axis=1)
    return (~hidden).astype(dtype)


def mask(x, time_starts, time_widths, freq_starts, freq_widths):
    """``specaugment``: zero the drawn time and frequency bands of each sample,
    ``x'[b, ..., f, t] = x[b, ..., f, t] keep_rows[b, f] keep_frames[b, t]`` (0 in a band).

    Parameters
    ----------
    x : ndarray, shape (B, ..., F, T)
        The batch of feature images.
    time_starts, time_widths : ndarray of int, shape (B, M)
        Each sample's time bands, in frames.
    freq_starts, freq_widths : ndarray of int, shape (B, M)
        Each sample's frequency bands, in rows.
    """
    xp = backend.array_module(x)
    rows, frames = x.shape[-2], x.shape[-1]
    middle = (1,) * (x.ndim - 3)
    keep_rows = band_keep(rows, freq_starts, freq_widths, xp, x.dtype)
    keep_frames = band_keep(frames, time_starts, time_widths, xp, x.dtype)
    out = x * keep_rows.reshape((-1,) + middle + (rows, 1))
    out *= keep_frames.reshape((-1,) + middle + (1, frames))
    return out


def mix(a, lam: float, order):
    """``mixup`` of a batch (inputs, or soft targets): ``lam a + (1 - lam) a[pi]``."""
    xp = backend.array_module(a)
    out = a[xp.asarray(order)]               # a copy: scaled and added to in place
    out *= 1.0 - lam
    out += lam * a
    return out


def _draw_bands(rng, n: int, masks: int, width: int, size: int):
    widths = np.floor(rng.random((n, masks)) * (min(width, size) + 1)).astype(np.int64)
    starts = np.floor(rng.random((n, masks)) * (size - widths + 1)).astype(np.int64)
    return starts, widths


class Augmenter:
    """Applies ``augmentations`` to training batches; see the module docstring.

    ``gain_direction`` is ``d_f / sigma_f`` per feature row
    (:func:`tinymir.train.inputs.db_response` over the standardiser's sigma), needed by
    ``gain``; ``n_classes`` turns labels into one-hot rows for ``mixup`` (None for tags).
    """

    def __init__(self, augmentations: list[Augmentation], seed: int = 0, gain_direction=None,
                 n_classes: int | None = None):
        self.augmentations = {a.name: a.params for a in augmentations}
        if "gain" in self.augmentations and gain_direction is None:
            raise AugmentError("gain needs the features' change per dB (gain_direction)")
        self.gain_direction = gain_direction
        self.n_classes = n_classes
        self.rng = np.random.default_rng([int(seed), AUGMENT_STREAM])

    @property
    def spec(self) -> str:
        return describe([Augmentation(n, p) for n, p in self.augmentations.items()])

    def epoch_batches(self, batches, epoch: int):
        """The batches of epoch ``epoch``, with ``crop``'s fresh slice starts when it is on."""
        if "crop" not in self.augmentations:
            return batches.epoch(epoch)
        counts = [0 if f is None else f.shape[-1] for f in batches.features]
        cropped = copy.copy(batches)
        cropped.segments = crop_starts(batches.segments, counts, self.rng)
        return cropped.epoch(epoch)

    def __call__(self, x, y):
        """The augmented training batch ``(x', y')``: ``x`` on the device, the targets ``y``
        (labels or tag rows) on the host, where they stay."""
        n = x.shape[0]
        if "shift" in self.augmentations:
            most = self.augmentations["shift"]["max"]
            x = time_shift(x, self.rng.integers(-most, most + 1, size=n))
        if "gain" in self.augmentations:
            db = self.augmentations["gain"]["db"]
            x = add_gain(x, self.rng.uniform(-db, db, size=n), self.gain_direction)
        if "specaugment" in self.augmentations:
            p = self.augmentations["specaugment"]
            t0, tw = _draw_bands(self.rng, n, p["masks"], p["time"], x.shape[-1])
            f0, fw = _draw_bands(self.rng, n, p["masks"], p["freq"], x.shape[-2])
            x = mask(x, t0, tw, f0, fw)
        if "mixup" in self.augmentations:
            alpha = self.augmentations["mixup"]["alpha"]
            lam = float(self.rng.beta(alpha, alpha))
            order = self.rng.permutation(n)
            y = np.asarray(y)
            if self.n_classes is not None:
                y = np.eye(self.n_classes, dtype=np.float32)[y]
            x, y = mix(x, lam, order), mix(y.astype(np.float32), lam, order)
        return x, y

    def state_dict(self) -> dict:
        return {"spec": self.spec, "rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        if state.get("spec") != self.spec:
            raise AugmentError(f"the saved run augmented with {state.get('spec')!r}, "
                               f"this one with {self.spec!r}")
        self.rng.bit_generator.state = state["rng"]

