"""The CPU splits a batch into blocks of frames shared among threads, and frames centred
clips without padding the whole signal: the numbers must not depend on any of it."""
import numpy as np
import pytest

from _rounding import assert_float32_close
from tinymir import features as F
from tinymir import threads
from tinymir.features import frames
from tinymir.features.kernels import blocks
from tinymir.features.kernels.padded import PaddedFrames


@pytest.fixture
def clips():
    rng = np.random.default_rng(3)
    return rng.standard_normal((3, 22050)).astype(np.float32)


def _all_features(y):
    return [F.stft(y, 1024, 512), F.melspectrogram(y, 22050, 1024, 512, 64),
            F.mfcc(y, 22050, n_fft=1024, hop_length=512), F.chroma_stft(y, 22050, n_fft=1024),
            F.spectral_contrast(y, 22050, n_fft=1024), F.tempo(y, 22050)]


@pytest.mark.parametrize("thread_count, block_bytes", [(2, 4096), (3, 64 * 1024), (1, 4096)])
def test_threads_and_blocks_do_not_change_the_numbers(clips, monkeypatch, thread_count,
                                                     block_bytes):
    expected = _all_features(clips)
    monkeypatch.setattr(threads, "CPU_THREADS", thread_count)
    monkeypatch.setattr(blocks, "CPU_BLOCK_BYTES", block_bytes)
    assert len(blocks.frame_blocks(44, 3 * 1024 * 4, np)) > 1
    for actual, wanted in zip(_all_features(clips), expected):
        # the same products, summed in another order where the rows are split differently
        assert_float32_close(actual, wanted)


def test_for_each_block_visits_every_block_once(monkeypatch):
    monkeypatch.setattr(threads, "CPU_THREADS", 2)
    seen = np.zeros(100, dtype=int)

    def mark(block):
        seen[block] += 1

    threads.for_each_block(mark, blocks.frame_blocks(100, 3, np))
    np.testing.assert_array_equal(seen, 1)


def test_omp_num_threads_sets_the_thread_count(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert threads._cpu_threads() == 1


@pytest.mark.parametrize("pad_mode", ["constant", "reflect", "edge"])
@pytest.mark.parametrize("n", [1, 5, 17, 40, 63, 64, 65, 200, 1001])
@pytest.mark.parametrize("frame_length, hop_length", [(4, 1), (16, 3), (33, 5), (64, 16), (16, 40)])
def test_padded_frames_equal_the_frames_of_the_padded_signal(n, frame_length, hop_length,
                                                             pad_mode):
    y = np.random.default_rng(n).standard_normal((2, n)).astype(np.float32)
    width = frame_length // 2
    try:
        expected = frames.frame(frames.pad_edges(y, width, pad_mode), frame_length, hop_length)
    except ValueError:
        with pytest.raises(ValueError):
            PaddedFrames(y, frame_length, hop_length, width, pad_mode)
        return
    padded = PaddedFrames(y, frame_length, hop_length, width, pad_mode)
    assert padded.count == expected.shape[-2]
    for step in (1, 3, padded.count):
        parts = [padded.block(slice(start, start + step)) for start in range(0, padded.count, step)]
        np.testing.assert_array_equal(np.concatenate(parts, axis=-2), expected)


def test_frames_inside_the_signal_are_views():
    y = np.arange(2 * 100, dtype=np.float32).reshape(2, 100)
    padded = PaddedFrames(y, 16, 4, 8)
    assert np.shares_memory(padded.block(slice(3, 10)), y)


def test_mean_tempogram_is_the_tempogram_averaged_over_frames():
    from tinymir.features import rhythm
    envelope = np.abs(np.random.default_rng(5).standard_normal((3, 700))) ** 3
    envelope[1] = 0.0                                   # silence: left unnormalised, all zero
    envelope[2, :300] = 0.0
    expected = rhythm.tempogram_frames(envelope, 128).mean(axis=-2)
    np.testing.assert_allclose(rhythm.mean_tempogram(envelope, 128), expected,
                               rtol=1e-10, atol=1e-12)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_gets_its_own_threads(monkeypatch):
    """Without a fresh pool the child queues its blocks for threads it does not have (hangs)."""
    import multiprocessing

    monkeypatch.setattr(threads, "CPU_THREADS", 2)
    monkeypatch.setattr(blocks, "CPU_BLOCK_BYTES", 4096)       # many blocks: the pool is used
    y = np.random.default_rng(0).standard_normal((2, 22050)).astype(np.float32)
    expected = F.melspectrogram(y, 22050, 1024, 512, 32)      # the parent's pool now exists
    with multiprocessing.get_context("fork").Pool(1) as pool:
        result = pool.apply_async(F.melspectrogram, (y, 22050, 1024, 512, 32))
        assert_float32_close(result.get(timeout=60), expected)


def test_a_block_thread_runs_nested_blocks_in_order_instead_of_waiting_on_its_pool(monkeypatch):
    monkeypatch.setattr(threads, "CPU_THREADS", 2)
    seen = np.zeros((4, 10), dtype=int)

    def outer(block):
        def inner(inner_block):
            seen[block, inner_block] += 1
        threads.for_each_block(inner, blocks.frame_blocks(10, 3, np))

    threads.for_each_block(outer, [slice(k, k + 1) for k in range(4)])   # deadlocked before
    assert (seen == 1).all()


def test_log_mel_in_blocks_equals_decibels_of_the_mel_spectrogram(clips):
    from tinymir.features.db import power_to_db
    from tinymir.features.mel import log_mel_frames, mel_frames
    quiet = clips * np.float32([[1.0], [1e-3], [10.0]])     # per-clip floors differ
    for top_db in (80.0, None):
        expected = power_to_db(mel_frames(quiet, 22050, 1024, 512, 64), top_db=top_db)
        actual = log_mel_frames(quiet, 22050, 1024, 512, 64, top_db=top_db)
        np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-4)


def test_non_finite_samples_are_refused_even_when_the_sum_of_squares_overflows():
    loud = np.full((2, 4096), 3e30, dtype=np.float32)       # finite; its squares overflow
    assert frames.as_signal(loud) is not None
    loud[1, 7] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        frames.as_signal(loud)


@pytest.mark.parametrize("n", [1, 17, 64, 65, 1001])
@pytest.mark.parametrize("frame_length, hop_length", [(16, 3), (64, 16), (16, 16), (16, 40)])
@pytest.mark.parametrize("centred", [True, False])
def test_padded_frames_know_whether_they_cover_every_sample(n, frame_length, hop_length,
                                                            centred):
    width = frame_length // 2 if centred else 0
    if n + 2 * width < frame_length:
        return
    padded = PaddedFrames(np.zeros((2, n), np.float32), frame_length, hop_length, width)
    covered = np.zeros(n + 2 * width, dtype=bool)
    for start in range(0, padded.count * hop_length, hop_length):
        covered[start:start + frame_length] = True
    assert padded.covers_signal == bool(covered[width:width + n].all())


_SPECTRUM_FEATURES = {
    "stft": lambda y, centred: F.stft(y, 1024, 512, center=centred),
    "mel": lambda y, centred: F.melspectrogram(y, 22050, 1024, 512, 64, center=centred),
    "mfcc": lambda y, centred: F.mfcc(y, 22050, n_fft=1024, hop_length=512, center=centred),
    "chroma": lambda y, centred: F.chroma_stft(y, 22050, n_fft=1024, center=centred),
    "contrast": lambda y, centred: F.spectral_contrast(y, 22050, n_fft=1024, center=centred),
}


@pytest.mark.parametrize("feature", sorted(_SPECTRUM_FEATURES))
@pytest.mark.parametrize("centred", [True, False])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", [0, 512, 5000, -1])      # 512: first sample of a frame
def test_spectrum_features_refuse_a_non_finite_sample_anywhere(clips, monkeypatch, feature,
                                                               centred, bad, where):
    """Found from the DC bins in the block threads, or, for samples no frame holds (the tail
    of an uncentred signal), by the exact check before any transform."""
    monkeypatch.setattr(blocks, "CPU_BLOCK_BYTES", 4096)    # many blocks, one of them bad
    y = clips.copy()
    y[1, where] = bad
    with pytest.raises(ValueError, match="NaN or infinite"):
        _SPECTRUM_FEATURES[feature](y, centred)


def test_loud_audio_whose_frame_sums_overflow_is_not_refused():
    loud = np.full((2, 8192), 3e37, dtype=np.float32)       # finite; the DC bins overflow
    spectrum = F.stft(loud, 1024, 512)
    assert spectrum.shape == (2, 513, 17)
    assert np.isinf(spectrum[..., 0, 4].real).all()


def test_mfcc_floors_each_block_before_its_dct_as_the_floored_log_mel_would(clips):
    from tinymir.features.cepstral import mfcc_frames
    from tinymir.features.mel import log_mel_and_floor, log_mel_frames
    quiet = clips * np.float32([[1.0], [1e-3], [10.0]])     # per-clip floors differ
    quiet[0, 5000:9000] = 0.0                               # frames well below the floor
    floored = log_mel_frames(quiet, 22050, 1024, 512, 64)
    unfloored, floor = log_mel_and_floor(quiet, 22050, 1024, 512, 64)
    assert (unfloored < floor).any()
    np.testing.assert_allclose(mfcc_frames(unfloored, 13, floor=floor), mfcc_frames(floored, 13),
                               rtol=0, atol=1e-4)
