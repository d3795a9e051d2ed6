"""Atomic writes: a save that dies half-way leaves the previous file whole and no temporary."""
import pytest

from tinymir.atomic import write_atomically


def test_a_failed_save_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "model.npz"
    write_atomically(target, lambda handle: handle.write(b"old"))

    def dies_half_way(handle):
        handle.write(b"new but")
        raise KeyboardInterrupt("killed")

    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, dies_half_way)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]
