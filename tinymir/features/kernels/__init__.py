"""The speed tricks of the features, so each feature module reads like its formula.

A feature says what it computes (``stft`` = frame -> window -> rfft, ``melspectrogram`` =
spectrogram -> filterbank) and calls one of these kernels for how it is computed fast; the
plain twin, :mod:`tinymir.features.reference`, shares no code with them. Each kernel's
docstring explains its trick; ``bench/bench_features.py`` measures the gain (tinymir against
librosa, CPU and GPU).

- :mod:`~tinymir.features.kernels.blocks`: cache-sized blocks of frames, shared among threads
  on the CPU (with BLAS kept on one thread meanwhile), all frames at once on a GPU.
- :mod:`~tinymir.features.kernels.padded`: the frames of a padded signal without copying it.
- :mod:`~tinymir.features.kernels.finite`: the finiteness check as one dot product.
- :mod:`~tinymir.features.kernels.fft`: the real FFT on the array's device, one thread per call.
- :mod:`~tinymir.features.kernels.spectrum`: ``reduce(rfft(window * frame))`` block by block,
  the finiteness check folded into the DC bin.
- :mod:`~tinymir.features.kernels.filterbank`: a filterbank product over groups of filters and
  only the bins each group covers.
- :mod:`~tinymir.features.kernels.db`: the per-clip dB floor deferred to the next pass over
  the blocks.

Nothing is imported here: ``padded`` and ``spectrum`` use :mod:`tinymir.features.frames`,
which uses ``finite``, so a feature imports the kernel module it calls.
"""
