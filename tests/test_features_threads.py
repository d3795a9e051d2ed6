"""The CPU splits a batch into blocks of frames shared among threads: the numbers must not
depend on the number of threads or on the block size."""
import numpy as np
import pytest

from tinymir import features as F
from tinymir.features import frames


@pytest.fixture
def clips():
    rng = np.random.default_rng(3)
    return rng.standard_normal((3, 22050)).astype(np.float32)


def _all_features(y):
    return [F.stft(y, 1024, 512), F.melspectrogram(y, 22050, 1024, 512, 64),
            F.mfcc(y, 22050, n_fft=1024, hop_length=512), F.chroma_stft(y, 22050, n_fft=1024),
            F.spectral_contrast(y, 22050, n_fft=1024), F.tempo(y, 22050)]


@pytest.mark.parametrize("threads, block_bytes", [(2, 4096), (3, 64 * 1024), (1, 4096)])
def test_threads_and_blocks_do_not_change_the_numbers(clips, monkeypatch, threads, block_bytes):
    expected = _all_features(clips)
    monkeypatch.setattr(frames, "CPU_THREADS", threads)
    monkeypatch.setattr(frames, "CPU_BLOCK_BYTES", block_bytes)
    assert len(frames.frame_blocks(44, 3 * 1024 * 4, np)) > 1
    for actual, wanted in zip(_all_features(clips), expected):
        np.testing.assert_array_equal(actual, wanted)


def test_for_each_block_visits_every_block_once(monkeypatch):
    monkeypatch.setattr(frames, "CPU_THREADS", 2)
    seen = np.zeros(100, dtype=int)

    def mark(block):
        seen[block] += 1

    frames.for_each_block(mark, frames.frame_blocks(100, 3, np))
    np.testing.assert_array_equal(seen, 1)


def test_omp_num_threads_sets_the_thread_count(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert frames._cpu_threads() == 1
