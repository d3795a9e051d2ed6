"""From samples to MFCC, one step at a time: framing -> window -> FFT -> power -> mel -> dB -> DCT.

Each step is a line or two of NumPy (the same maths tinymir.features runs, batched and cached);
the script prints the shape and a few numbers after each step and checks at the end that the
hand-made result equals ``tinymir.features.mfcc``. Runs in about a second on a CPU::

    python examples/features_walkthrough.py
"""
import numpy as np

from tinymir import features as F

SR, N_FFT, HOP, N_MELS, N_MFCC = 22050, 1024, 512, 128, 20

# A 2-second test signal: an A major chord (A3, C#4, E4) that starts after half a second.
t = np.arange(2 * SR) / SR
y = sum(0.3 * np.sin(2 * np.pi * f * t) for f in (220.0, 277.18, 329.63))
y = (y * (t > 0.5)).astype(np.float32)
print(f"signal: {y.shape[0]} samples at {SR} Hz = {y.shape[0] / SR:.1f} s")

# 1. Framing. Pad n_fft/2 zeros on both sides (librosa's center=True), so frame t is centred on
#    sample t * hop; cut frames of n_fft samples every hop samples (a strided view, no copy).
padded = np.pad(y, N_FFT // 2)
frames = F.frame(padded, N_FFT, HOP)
print(f"1. frames: {frames.shape} = (1 + {padded.size} - {N_FFT}) // {HOP} frames of {N_FFT}")

# 2. Window. A periodic Hann window w[k] = 0.5 - 0.5 cos(2 pi k / N) tapers each frame to zero
#    at its ends, so the FFT sees no jump where the frame was cut.
window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)
windowed = frames * window
print(f"2. window: w[0]={window[0]:.2f}, w[N/4]={window[N_FFT // 4]:.2f}, "
      f"w[N/2]={window[N_FFT // 2]:.2f}")

# 3. FFT. The real FFT of each frame: 1 + n_fft/2 complex bins, bin k at k * sr / n_fft Hz.
spectrum = np.fft.rfft(windowed, axis=-1)
bin_hz = SR / N_FFT
print(f"3. rfft: {spectrum.shape} complex, bins {bin_hz:.2f} Hz apart")

# 4. Power. |X|^2 per bin; the loudest bin of a frame in the chord sits at one of its notes.
power = spectrum.real ** 2 + spectrum.imag ** 2
frame_index = power.shape[0] // 2
peak_bin = int(power[frame_index].argmax())
print(f"4. power: {power.shape}; frame {frame_index}: loudest bin {peak_bin} = "
      f"{peak_bin * bin_hz:.0f} Hz; frame 0 (silence) total power {power[0].sum():.2e}")

# 5. Mel. 128 triangular filters, evenly spaced on the (Slaney) mel scale, one matrix product.
mel_bank = F.mel_filterbank(SR, N_FFT, N_MELS, dtype=np.float64)
mel = power @ mel_bank.T
print(f"5. mel: bank {mel_bank.shape}, mel spectrogram {mel.shape}; filter 10 covers "
      f"{np.flatnonzero(mel_bank[10]).min() * bin_hz:.0f}-"
      f"{np.flatnonzero(mel_bank[10]).max() * bin_hz:.0f} Hz")

# 6. Decibels. 10 log10(max(1e-10, M)), floored 80 dB below the clip's loudest value.
log_mel = 10 * np.log10(np.maximum(mel, 1e-10))
log_mel = np.maximum(log_mel, log_mel.max() - 80.0)
print(f"6. dB: range {log_mel.min():.1f} .. {log_mel.max():.1f} dB (80 dB floor)")

# 7. DCT. The orthonormal DCT-II over the mel axis decorrelates the bands; keep 20 coefficients.
m = np.arange(N_MELS)
basis = np.cos(np.pi * np.arange(N_MFCC)[:, None] * (2 * m + 1) / (2 * N_MELS))
basis *= np.sqrt(2.0 / N_MELS)
basis[0] /= np.sqrt(2.0)
mfcc = (log_mel @ basis.T).T          # (n_mfcc, n_frames), librosa's layout
print(f"7. MFCC: {mfcc.shape}; frame {frame_index}: c0..c3 = "
      f"{np.array2string(mfcc[:4, frame_index], precision=1)}")

library = F.mfcc(y, SR, n_mfcc=N_MFCC, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
difference = np.abs(library - mfcc).max()
print(f"tinymir.features.mfcc gives the same numbers: max |difference| = {difference:.1e}")
assert difference < 1e-2 * np.abs(mfcc).max()
