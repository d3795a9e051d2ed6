"""From samples to MFCC, one step at a time: framing -> window -> DFT -> power -> mel -> dB -> DCT.

Each step calls the plain twin in ``tinymir.features.reference`` (loops and sums written like
the docstrings; read it beside this script), prints the shape and a few numbers, and the end
checks that the fast, batched ``tinymir.features.mfcc`` gives the same numbers. Runs in a few
seconds on a CPU::

    python examples/features_walkthrough.py
"""
import numpy as np

from tinymir import backend
from tinymir import features as F
from tinymir.features import reference as R

SR, N_FFT, HOP, N_MELS, N_MFCC = 22050, 1024, 512, 128, 20

# A 2-second test signal: an A major chord (A3, C#4, E4) that starts after half a second.
t = np.arange(2 * SR) / SR
y = sum(0.3 * np.sin(2 * np.pi * f * t) for f in (220.0, 277.18, 329.63))
y = y * (t > 0.5)
print(f"signal: {y.shape[0]} samples at {SR} Hz = {y.shape[0] / SR:.1f} s")

# 1. Framing. Pad n_fft/2 zeros on both sides (librosa's center=True), so frame t is centred on
#    sample t * hop; cut frames of n_fft samples every hop samples.
frames = R.frames(y, N_FFT, HOP)
print(f"1. frames: {frames.shape} = (1 + {y.size + N_FFT} - {N_FFT}) // {HOP} frames of {N_FFT}")

# 2. Window. A periodic Hann window w[k] = 0.5 - 0.5 cos(2 pi k / N) tapers each frame to zero
#    at its ends, so the transform sees no jump where the frame was cut.
window = R.hann(N_FFT)
print(f"2. window: w[0]={window[0]:.2f}, w[N/4]={window[N_FFT // 4]:.2f}, "
      f"w[N/2]={window[N_FFT // 2]:.2f}")

# 3. DFT. X[f, t] = sum_k w[k] frames[t, k] exp(-2j pi f k / N): 1 + N/2 complex bins per frame,
#    bin f at f * sr / N Hz (an FFT computes the same sum faster).
spectrum = R.stft(y, N_FFT, HOP)
bin_hz = SR / N_FFT
print(f"3. DFT: {spectrum.shape} complex (bins, frames), bins {bin_hz:.2f} Hz apart")

# 4. Power. |X|^2 per bin; the loudest bin of a frame in the chord sits at one of its notes.
power = np.abs(spectrum) ** 2
frame_index = power.shape[1] // 2
peak_bin = int(power[:, frame_index].argmax())
print(f"4. power: loudest bin of frame {frame_index}: {peak_bin} = {peak_bin * bin_hz:.0f} Hz; "
      f"frame 0 (silence) total power {power[:, 0].sum():.2e}")

# 5. Mel. 128 triangular filters, evenly spaced on the (Slaney) mel scale, one matrix product.
mel_bank = R.mel_filterbank(SR, N_FFT, N_MELS)
mel = mel_bank @ power
print(f"5. mel: bank {mel_bank.shape}, mel spectrogram {mel.shape}; filter 10 covers "
      f"{np.flatnonzero(mel_bank[10]).min() * bin_hz:.0f}-"
      f"{np.flatnonzero(mel_bank[10]).max() * bin_hz:.0f} Hz")

# 6. Decibels. 10 log10(max(1e-10, M)), floored 80 dB below the clip's loudest value.
log_mel = R.power_to_db(mel)
print(f"6. dB: range {log_mel.min():.1f} .. {log_mel.max():.1f} dB (80 dB floor)")

# 7. DCT. The orthonormal DCT-II over the mel axis decorrelates the bands; keep 20 coefficients.
mfcc = R.dct_matrix(N_MFCC, N_MELS) @ log_mel
print(f"7. MFCC: {mfcc.shape}; frame {frame_index}: c0..c3 = "
      f"{np.array2string(mfcc[:4, frame_index], precision=1)}")

with backend.default_dtype(np.float64):          # the same maths, so the same digits
    fast = F.mfcc(y, SR, n_mfcc=N_MFCC, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
difference = np.abs(fast - mfcc).max()
print(f"tinymir.features.mfcc (float64) gives the same numbers: "
      f"max |difference| = {difference:.1e}")
assert difference < 1e-9 * np.abs(mfcc).max()
