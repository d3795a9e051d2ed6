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


def test_a_run_killed_while_writing_its_reports_keeps_the_old_ones(tmp_path, monkeypatch):
    from tinymir.train import report as reporting

    class DiesWhenWritten:
        def __str__(self):
            raise KeyboardInterrupt("killed while writing history.csv")

    monkeypatch.setattr(reporting, "markdown", lambda report: "# report\n")
    monkeypatch.setattr(reporting, "matplotlib_available", lambda: False)
    reporting.write_run(tmp_path, {"epochs": 1}, [{"epoch": 1, "loss": 0.5}], [])
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert sorted(before) == ["history.csv", "report.json", "report.md"]
    with pytest.raises(KeyboardInterrupt):
        reporting.write_run(tmp_path, {"epochs": 2},
                            [{"epoch": 1, "loss": 0.7}, {"epoch": 2, "loss": DiesWhenWritten()}],
                            [])
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
