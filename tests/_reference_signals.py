"""The audio that ``tests/reference/librosa_features.npz`` was computed from, made here rather
than stored: the test regenerates it, and ``tests/reference/make_librosa_outputs.py`` gives
the same arrays to librosa.

Every signal is rounded to the 16-bit grid (``round(32767 x) / 32767``, as a 16-bit wav file
would hold it), so the few last bits that another machine's ``sin`` or ``exp`` may round
differently never reach the samples: the arrays are the same on every CPU and libm.
"""
import numpy as np

SR = 22050
N = 5001                     # not a multiple of any hop: the last frame is a partial one
LAGS = (20, 30)              # tempi of these lags at hop 512 (129.2 and 86.1 BPM) ...
OFF_GRID = 1.005             # ... played 0.5 % off the grid


def on_16_bit_grid(x) -> np.ndarray:
    return (np.round(np.asarray(x, dtype=np.float64) * 32767) / 32767).astype(np.float32)


def signals() -> np.ndarray:
    """(4, N) float32: an exponential chirp and a harmonic tone (each over a -60 dB noise floor,
    as in a recording), white noise and silence."""
    rng = np.random.default_rng(0)
    t = np.arange(N) / SR
    floor = 1e-3 * rng.standard_normal((2, N))
    k = np.log(0.4 * SR / 100.0) / t[-1]
    chirp = 0.5 * np.sin(2 * np.pi * 100.0 * (np.exp(k * t) - 1) / k) + floor[0]
    harmonic = sum(0.6 / h * np.sin(2 * np.pi * 220.0 * h * t + h) for h in range(1, 7)) + floor[1]
    noise = 0.3 * rng.standard_normal(N)
    return on_16_bit_grid(np.stack([chirp, harmonic, noise, np.zeros(N)]))


def clicks(bpm: float, seconds: float = 8.0) -> np.ndarray:
    """Decaying 1 kHz clicks on every beat, nothing between them."""
    y = np.zeros(int(seconds * SR))
    click = np.sin(2 * np.pi * 1000.0 * np.arange(int(0.03 * SR)) / SR)
    click *= np.exp(-np.arange(click.size) / (0.005 * SR))
    for start in (np.arange(0.0, seconds, 60.0 / bpm) * SR).astype(int):
        stop = min(y.size, start + click.size)
        y[start:stop] += click[:stop - start]
    return on_16_bit_grid(y)


def beats() -> np.ndarray:
    """(2, 8 s) click tracks at the tempi of :data:`LAGS`, off the grid by :data:`OFF_GRID`."""
    return np.stack([clicks(60.0 * SR / (512 * lag) * OFF_GRID) for lag in LAGS])


def db_grid() -> np.ndarray:
    """(5, 10) dB values from -80 to 10."""
    return np.linspace(-80.0, 10.0, 50).reshape(5, 10)
